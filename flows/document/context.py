"""The data a template sees: the record's rows plus rows shaped for tables, times in `tz`.

Times and dates are formatted here, once, as `Md`; user text stays plain `str` so that the
template has to pass it through a filter (or `finalize` escapes it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flows.document.escape import Md, md_inline
from flows.lifecycle import STATUS_LABELS
from flows.metrics import format_duration, incident_metrics, one_sentence_summary
from flows.record import LEARNING_KINDS
from flows.severity import severity_label
from storage.record import PostmortemRecord
from storage.tables import TimelineEntry

ACTION_STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "done": "Done",
    "wont_do": "Won't do",
}
DECISION_LABELS = {"approved": "Approved", "changes_requested": "Changes requested"}
_SLACK_USER = frozenset("UW")


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(slots=True)
class TimelineRow:
    time: Md
    text: str
    actor: Md
    link: str | None


@dataclass(slots=True)
class ActionRow:
    ref: Md
    number: int
    title: str
    owner: Md
    due: Md
    priority: str
    category: str
    status: Md
    done: bool
    success_criteria: str | None
    tracker_url: str | None


@dataclass(slots=True)
class SignoffRow:
    reviewer: Md
    decision: Md
    date: Md
    comment: str | None


@dataclass(slots=True)
class ChangeRow:
    date: Md
    version: str
    change: str
    author: Md


VIEW_ROWS = frozenset({TimelineRow, ActionRow, SignoffRow, ChangeRow})


class Clock:
    """Formats aware datetimes in the document's zone; '' for None.

    `moment` is HH:MM when the whole incident fits in one local day (the date is then
    stated once in the header), as the seeds write it; otherwise it carries the date too.
    """

    __slots__ = ("short", "tz")

    def __init__(self, tz: ZoneInfo, short: bool = False) -> None:
        self.tz = tz
        self.short = short

    def moment(self, at: datetime | None) -> Md:
        return self.time(at) if self.short else self.datetime(at)

    def datetime(self, at: datetime | None) -> Md:
        return Md("") if at is None else Md(f"{at.astimezone(self.tz):%Y-%m-%d %H:%M}")

    def time(self, at: datetime | None) -> Md:
        return Md("") if at is None else Md(f"{at.astimezone(self.tz):%H:%M}")

    def date(self, at: datetime | date | None) -> Md:
        if at is None:
            return Md("")
        if isinstance(at, datetime):
            at = at.astimezone(self.tz).date()
        return Md(at.isoformat())


def mention(user_id: str | None, people: Mapping[str, str]) -> Md:
    """A Slack user id as `@name` (or `@U123` without a directory); other text escaped."""
    if not user_id:
        return Md("")
    name = people.get(user_id)
    if name is not None:
        return md_inline("@" + name)
    if user_id[0] in _SLACK_USER and user_id[1:].isalnum() and user_id.isupper():
        return Md("@" + user_id)
    return md_inline(user_id)


def build_context(
    record: PostmortemRecord,
    *,
    tz: str,
    now: datetime,
    people: Mapping[str, str],
) -> dict[str, Any]:
    zi = zone(tz)
    inc, pm = record.incident, record.postmortem
    metrics = incident_metrics(record)
    milestones = [
        metrics.started_at, inc.detected_at, inc.acknowledged_at,
        inc.mitigated_at, inc.resolved_at,
    ]
    timeline, same_day = _timeline(record, zi, [t for t in milestones if t], people)
    clock = Clock(zi, short=same_day is not None)
    actions = _actions(record, people)
    end = metrics.mitigated_at or metrics.resolved_at
    published = pm.published_at
    return {
        "inc": inc,
        "pm": pm,
        "tz": Md(md_inline(tz)),
        "now": now,
        "at": clock,
        "m": metrics,
        "dur": {
            key: Md(format_duration(getattr(metrics, key)))
            for key in (
                "impact", "time_to_detect", "time_to_acknowledge",
                "time_to_mitigate", "time_to_resolve", "time_to_fix",
            )
        },
        "window": Md(f"{clock.moment(metrics.started_at)} – {clock.moment(end)}")
        if metrics.started_at and end else Md(""),
        "day": same_day or Md(""),
        "incident_date": clock.date(metrics.started_at or inc.created_at),
        "next_quarter_end": Md(_next_quarter_end(now.astimezone(zi).date()).isoformat()),
        "follow_up": {
            "week2": clock.date(published + timedelta(days=14)) if published else Md(""),
            "month1": clock.date(published + timedelta(days=30)) if published else Md(""),
        },
        "budget": Md(md_inline(metrics.error_budget.describe())) if metrics.error_budget else "",
        "severity": Md(severity_label(inc.severity)),
        "status": Md(STATUS_LABELS.get(pm.status, md_inline(pm.status))),
        "summary_sentence": one_sentence_summary(record, tz),
        "services": list(inc.services),
        "timeline": timeline,
        "whys": sorted((w for w in record.whys if w.answer or w.question),
                       key=lambda w: w.position),
        "factors": list(record.factors),
        "learn": {kind: [x.text for x in record.learnings_of(kind)] for kind in LEARNING_KINDS},
        "lessons": [x.text for x in record.learnings if x.kind.startswith("lesson_")],
        "actions": actions,
        "actions_high": [a for a in actions if a.priority in ("P0", "P1")],
        "completion_target": max(
            (a.due for a in actions if a.priority in ("P0", "P1") and a.due != "Backlog"),
            default=Md(""),
        ),
        "actions_medium": [a for a in actions if a.priority == "P2"],
        "actions_low": [a for a in actions if a.priority not in ("P0", "P1", "P2")],
        "owner": mention(pm.owner_id, people),
        "facilitator": mention(pm.facilitator_id, people),
        "commander": mention(pm.commander_id, people),
        "reviewers": [mention(r, people) for r in pm.reviewers],
        "attendees": [mention(a, people) for a in pm.attendees],
        "signoff": _signoff(record, clock, people),
        "changelog": _changelog(record, clock, now, people),
    }


def _timeline(
    record: PostmortemRecord,
    zi: ZoneInfo,
    milestones: list[datetime],
    people: Mapping[str, str],
) -> tuple[list[TimelineRow], Md | None]:
    # This runs per entry on timelines of thousands: integer formatting and a per-actor
    # cache keep it a few milliseconds (strftime alone was three times slower).
    entries = sorted(record.timeline, key=_occurred)
    local = [e.occurred_at.astimezone(zi) for e in entries]
    days = {t.date() for t in local} | {t.astimezone(zi).date() for t in milestones}
    # One day: HH:MM as in the seeds, the date stated once; otherwise every row dated.
    same_day = Md(next(iter(days)).isoformat()) if len(days) == 1 else None
    actors: dict[str | None, Md] = {}
    rows = []
    for e, t in zip(entries, local, strict=True):
        if same_day:
            when = f"{t.hour:02d}:{t.minute:02d}"
        else:
            when = f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"
        actor = e.actor
        if actor not in actors:
            actors[actor] = mention(actor, people)
        rows.append(TimelineRow(Md(when), e.text, actors[actor], e.link))
    return rows, same_day


def _occurred(entry: TimelineEntry) -> datetime:
    return entry.occurred_at


def _actions(record: PostmortemRecord, people: Mapping[str, str]) -> list[ActionRow]:
    rows = []
    for a in sorted(record.action_items, key=lambda a: (a.priority, a.number)):
        rows.append(
            ActionRow(
                ref=Md(f"AI-{a.number}"),
                number=a.number,
                title=a.title,
                owner=mention(a.owner_id, people) or Md("Unassigned"),
                due=Md(a.due_on.isoformat()) if a.due_on else Md("Backlog"),
                priority=a.priority,
                category=a.category,
                status=Md(ACTION_STATUS_LABELS.get(a.status) or md_inline(a.status)),
                done=a.status == "done",
                success_criteria=a.success_criteria,
                tracker_url=a.tracker_url,
            )
        )
    return rows


def _signoff(
    record: PostmortemRecord, clock: Clock, people: Mapping[str, str]
) -> list[SignoffRow]:
    """Each reviewer once, with their latest decision; those yet to decide show Pending."""
    latest: dict[str, Any] = {}
    for d in sorted(record.decisions, key=lambda d: d.decided_at):
        latest[d.reviewer_id] = d
    order = list(dict.fromkeys([*record.postmortem.reviewers, *latest]))
    rows = []
    for reviewer in order:
        d = latest.get(reviewer)
        rows.append(
            SignoffRow(
                reviewer=mention(reviewer, people),
                decision=Md(DECISION_LABELS.get(d.decision) or md_inline(d.decision))
                if d else Md("Pending"),
                date=clock.date(d.decided_at) if d else Md(""),
                comment=d.comment if d else None,
            )
        )
    return rows


def _changelog(
    record: PostmortemRecord, clock: Clock, now: datetime, people: Mapping[str, str]
) -> list[ChangeRow]:
    rows = [
        ChangeRow(clock.date(d.created_at), d.version, d.change, mention(d.author_id, people))
        for d in sorted(record.documents, key=lambda d: d.created_at)
    ]
    pm = record.postmortem
    label = STATUS_LABELS.get(pm.status, pm.status)
    rows.append(
        ChangeRow(clock.date(now), "current", f"This rendering ({label})",
                  mention(pm.owner_id, people))
    )
    return rows


def _next_quarter_end(today: date) -> date:
    """The last day of the quarter after the current one (seed 000's metric targets)."""
    quarter = (today.month - 1) // 3 + 1
    year, quarter = (today.year + 1, 1) if quarter == 4 else (today.year, quarter + 1)
    first_after = date(year + (quarter == 4), (quarter * 3) % 12 + 1, 1)
    return first_after - timedelta(days=1)
