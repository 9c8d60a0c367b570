"""The data a template sees: the record's rows plus rows shaped for tables, times in `tz`.

Times, dates and durations are formatted here, once, as `Md`; user text stays plain `str`
so that the template has to pass it through a filter (or `finalize` escapes it). Where two
fields answer the same seed question (the direct cause and the first why), the fallback is
chosen here, so no template prints "Not recorded" next to data that answers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from itertools import compress
from operator import attrgetter, eq, gt
from typing import Any
from zoneinfo import ZoneInfo

from flows.action_items import PRIORITY_TIERS, window_text
from flows.compliance import ARB_ITEMS
from flows.document.escape import Md, cells, md_block, md_fence, md_inline
from flows.document.names import SLACK_SOURCES, Names
from flows.document.rows import (
    ActionRow,
    AlertRow,
    ChangeRow,
    Clock,
    DurationRow,
    RefRow,
    SignoffRow,
    TickRow,
    Tier,
    Timeline,
    WhyRow,
)
from flows.durations import Durations, incident_durations
from flows.inputs import FINANCE_MODULES, glossary_terms, lines_of
from flows.learnings import LEARNING_KINDS
from flows.lifecycle import STATUS_LABELS
from flows.metrics import error_budget_for, metrics_from
from flows.milestones import MILESTONES, TAGS
from flows.references import REFERENCE_KINDS
from flows.severity import severity_label
from flows.summary import draft_summary
from storage.record import DecisionData, PostmortemRecord, timeline_columns

ACTION_STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "done": "Done",
    "wont_do": "Won't do",
}
DECISION_LABELS = {"approved": "Approved", "changes_requested": "Changes requested"}
TRACKERS = (("github:", "GitHub Issues"), ("jira:", "Jira"))


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def build_context(
    record: PostmortemRecord,
    *,
    tz: str,
    now: datetime,
    names: Names,
    archive_url: str | None = None,
    archive_location: str | None = None,
) -> dict[str, Any]:
    zi = zone(tz)
    inc, pm = record.incident, record.postmortem
    durations = incident_durations(record)
    times = durations.milestones
    timeline, same_day = _timeline(record, zi, list(times.at.values()), names)
    clock = Clock(zi, short=same_day is not None)
    actions = _actions(record, names)
    tiers = _tiers(actions)
    draft = draft_summary(record, tz, durations)
    own = (pm.summary or "").strip()
    budget = error_budget_for(record, durations.impact.value)
    start, end = times.get("started"), times.get(durations.impact.end)
    published = pm.published_at
    refs = _references(record)
    rows = _durations(durations)
    whys = [WhyRow(w.question, w.answer)
            for w in sorted(record.whys, key=lambda w: w.position) if w.answer or w.question]
    return {
        "inc": inc,
        "pm": pm,
        "tz": Md(md_inline(tz)),
        "now": now,
        "at": clock,
        "day": same_day or Md(""),
        "incident_date": clock.date(start or inc.created_at),
        "severity": Md(severity_label(inc.severity)),
        "status": Md(STATUS_LABELS.get(pm.status, md_inline(pm.status))),
        # The author's summary leads; the draft stands in until there is one.
        "summary": md_block(own) if own else md_inline(draft.text),
        "own_summary": bool(own),
        "draft": draft,
        "d": rows,
        "durations": [row for row in rows.values() if row.text],
        "ms": {kind: clock.moment(times.get(kind)) for kind in MILESTONES},
        "ms_full": {kind: clock.datetime(times.get(kind)) for kind in MILESTONES},
        "window": Md(f"{clock.moment(start)} – {clock.moment(end)}")
        if start and end and not durations.impact.entered else Md(""),
        "channel": names.channel(inc.channel_id or pm.channel_id),
        "budget": Md(md_inline(budget.describe())) if budget else Md(""),
        "budget_left": Md(f"{100 - budget.used_percent:.1f}%")
        if budget and budget.used_percent is not None and not budget.entered else Md(""),
        "services": list(inc.services),
        "timeline": timeline,
        "whys": whys,
        "cause": _causes(record, whys),
        "factors": list(record.factors),
        "learn": {kind: [x.text for x in record.learnings_of(kind)] for kind in LEARNING_KINDS},
        "lessons": [x.text for x in record.learnings if x.kind.startswith("lesson_")],
        "actions": actions,
        "tiers": tiers,
        "tier": {t.key: t for t in tiers},
        "completion_target": max(
            (a.due for a in tiers[0].rows if a.due != "Backlog"), default=Md("")
        ),
        "tracking_tool": _tracking_tool(record),
        "refs": refs,
        "refs_of": {kind: [r for r in refs if r.kind == kind] for kind in REFERENCE_KINDS},
        "alerts": _alerts(record, clock, times.get("detected")),
        "distribution": lines_of(pm.distribution),
        "glossary": glossary_terms(pm.glossary),
        "meeting_date": clock.date(pm.meeting_at),
        "meeting_time": clock.datetime(pm.meeting_at),
        "meeting_length": Md(f"{pm.meeting_minutes} minutes") if pm.meeting_minutes else Md(""),
        "finance_modules": Md(", ".join(FINANCE_MODULES.get(m, md_inline(m))
                                        for m in pm.finance_modules)),
        "log_excerpts": md_fence(pm.log_excerpts),
        "config_changes": md_fence(pm.config_changes),
        "compliance": _compliance(record, clock, names),
        "owner": names.mention(pm.owner_id),
        "facilitator": names.mention(pm.facilitator_id),
        "commander": names.mention(pm.commander_id),
        "reviewers": [names.mention(r) for r in pm.reviewers],
        "attendees": [names.mention(a) for a in pm.attendees],
        "signoff": _signoff(record, clock, names),
        "changelog": _changelog(record, clock, now, names),
        "next_quarter_end": Md(_next_quarter_end(now.astimezone(zi).date()).isoformat()),
        "follow_up": {
            "week2": clock.date(published + timedelta(days=14)) if published else Md(""),
            "month1": clock.date(published + timedelta(days=30)) if published else Md(""),
        },
        "archive_url": archive_url,
        "archive_location": archive_location,
        # Names from before 0003, so teams' own templates keep rendering: `m` (milestones
        # and durations), `dur` (formatted durations), `summary_sentence` (now the draft).
        "m": metrics_from(record, durations, budget),
        "dur": {
            "impact": rows["impact"].text, "time_to_detect": rows["detect"].text,
            "time_to_acknowledge": rows["acknowledge"].text,
            "time_to_mitigate": rows["mitigate"].text, "time_to_resolve": rows["resolve"].text,
            "time_to_fix": rows["resolve"].text,
        },
        "summary_sentence": draft.text,
    }


def _durations(durations: Durations) -> dict[str, DurationRow]:
    return {
        d.key: DurationRow(d.key, Md(d.label), Md(d.text), Md(d.definition))
        for d in durations.all()
    }


def _timeline(
    record: PostmortemRecord,
    zi: ZoneInfo,
    milestones: list[datetime],
    names: Names,
) -> tuple[Timeline, Md | None]:
    # This runs over timelines of thousands, so it works column by column (as the record
    # was read: storage/record.py): values that repeat (actors, milestone tags) are made once
    # each, and the columns are made by C-level maps rather than a Python loop per entry. The
    # rows themselves are made as the template reaches them (rows.Timeline).
    columns = timeline_columns(record.timeline)
    at = columns.occurred_at
    # Sorted when read from the database (load_record); a record built in memory may not be.
    if any(map(gt, at, at[1:])):
        columns = timeline_columns(sorted(record.timeline, key=_OCCURRED_AT))
        at = columns.occurred_at
    raw, actor_ids, links, kinds, sources = (
        columns.text, columns.actor, columns.link, columns.milestone, columns.source)
    local = _localise(at, zi)
    # Sorted: the first and last entries bound every day in between.
    days = {t.date() for t in local[:1] + local[-1:]} | {
        t.astimezone(zi).date() for t in milestones}
    # One day: HH:MM as in the seeds, the date stated once; otherwise every row dated.
    same_day = Md(next(iter(days)).isoformat()) if len(days) == 1 else None
    none = Md("")
    if SLACK_SOURCES.isdisjoint(sources):
        texts: list[str] = raw
    else:
        plain = names.plain
        texts = [plain(t) if s in SLACK_SOURCES else t for t, s in zip(raw, sources, strict=True)]
    escaped = cells(texts)
    actor = {a: names.mention(a) if a else none for a in set(actor_ids)}
    mark_of = {k: _TAGS.get(k, none) if k else none for k in set(kinds)}
    marks = list(map(mark_of.__getitem__, kinds))
    # The marked entries found by a C-level pass: most entries mark nothing ("" is false).
    marked = {i: Md(f"**{marks[i]}:** {escaped[i]}")
              for i in compress(range(len(marks)), marks)}
    short = same_day is not None
    return Timeline(_times(local, short=short), escaped, list(map(actor.__getitem__, actor_ids)),
                    texts, links, marks, marked=marked, times_md=short), same_day


def _times(local: list[datetime], *, short: bool) -> list[str]:
    """Each time as HH:MM (`Md`, shared), or dated. Integer formatting, each minute once:
    `local` is sorted, so a time on the clock minute of the one before repeats its text
    (strftime per entry was three times slower, isoformat twice)."""
    if short:
        return [_HHMM[t.hour * 60 + t.minute] for t in local]
    out = []
    last: tuple[int, int, int, int, int] | None = None
    when = ""
    days: dict[date, str] = {}
    for t in local:
        # The clock's fields, not the instant: an hour repeats when the clocks go back.
        minute = (t.minute, t.hour, t.day, t.month, t.year)
        if minute != last:
            last = minute
            day = t.date()
            if day not in days:
                days[day] = f"{day.isoformat()} "
            when = days[day] + _HHMM[t.hour * 60 + t.minute]
        out.append(when)
    return out


# Every "HH:MM" of a day, made once: formatting it per entry was a fifth of the render.
_HHMM = tuple(Md(f"{m // 60:02d}:{m % 60:02d}") for m in range(24 * 60))
_OCCURRED_AT = attrgetter("occurred_at")
_WEBHOOK = partial(eq, "webhook")  # not "webhook".__eq__: NotImplemented for None is true
_TAGS = {kind: Md(label) for kind, label in TAGS.items()}
_SAME_OFFSET_SPAN = timedelta(days=7)


def _localise(times: list[datetime], zi: ZoneInfo) -> list[datetime]:
    """The times on the zone's wall clock. When the offset is the same at both ends of a span
    too short for two clock changes, adding it is exact and a third of astimezone's cost."""
    if not times:
        return []
    first, last = times[0].astimezone(zi), times[-1].astimezone(zi)
    offset = first.utcoffset()
    if offset is None or offset != last.utcoffset() or times[-1] - times[0] > _SAME_OFFSET_SPAN:
        return [t.astimezone(zi) for t in times]
    return [t + offset for t in times]  # UTC-aware, shifted: only its fields are read


def _causes(record: PostmortemRecord, whys: list[WhyRow]) -> dict[str, Any]:
    """What / why / how, each from its own field, else from what answers the same question:
    the first why's answer is the direct cause; the 5 Whys are the chain of events."""
    pm = record.postmortem
    return {
        "what": pm.cause_what or (whys[0].answer if whys else ""),
        "what_from_whys": not pm.cause_what and bool(whys),
        "why": pm.cause_why or "",
        "how": pm.cause_how or "",
    }


def _actions(record: PostmortemRecord, names: Names) -> list[ActionRow]:
    rows = []
    for a in sorted(record.action_items, key=lambda a: (a.priority, a.number)):
        rows.append(
            ActionRow(
                ref=Md(f"AI-{a.number}"),
                number=a.number,
                title=a.title,
                owner=names.mention(a.owner_id) or Md("Unassigned"),
                due=Md(a.due_on.isoformat()) if a.due_on else Md("Backlog"),
                priority=a.priority,
                category=a.category,
                status=Md(ACTION_STATUS_LABELS.get(a.status) or md_inline(a.status)),
                done=a.status == "done",
                closed=a.status in ("done", "wont_do"),
                success_criteria=a.success_criteria,
                tracker_url=a.tracker_url,
            )
        )
    return rows


def _tiers(actions: list[ActionRow]) -> list[Tier]:
    tiers = []
    known = {p for _, _, ps in PRIORITY_TIERS for p in ps}
    for key, name, priorities in PRIORITY_TIERS:
        rows = [a for a in actions if a.priority in priorities
                or (key == "low" and a.priority not in known)]
        tiers.append(Tier(key, name, Md("/".join(priorities)),
                          Md(window_text(priorities[0])), rows))
    return tiers


def _tracking_tool(record: PostmortemRecord) -> Md:
    refs = [a.tracker_ref or "" for a in record.action_items]
    used = [label for prefix, label in TRACKERS if any(r.startswith(prefix) for r in refs)]
    return Md(" and ".join(used) + " (linked from each item)" if used
              else "Slack, through the post-mortem bot (items, reminders and check-ins)")


def _references(record: PostmortemRecord) -> list[RefRow]:
    order = {kind: n for n, kind in enumerate(REFERENCE_KINDS)}
    rows = [RefRow(r.kind, Md(REFERENCE_KINDS.get(r.kind) or md_inline(r.kind)), r.label, r.url)
            for r in record.references]
    return sorted(rows, key=lambda r: order.get(r.kind, len(order)))


def _alerts(record: PostmortemRecord, clock: Clock, detected: datetime | None) -> list[AlertRow]:
    """The alert recorded in Details, then alerts the timeline received from webhooks."""
    inc = record.incident
    rows = []
    if inc.alert_name:
        rows.append(AlertRow(clock.moment(detected), inc.alert_name, inc.alert_source,
                             inc.alert_url))
    columns = timeline_columns(record.timeline)
    sources = columns.source
    hooks: Iterable[int] = ()
    if "webhook" in sources:  # one C-level scan: most timelines have no webhook entry
        hooks = compress(range(len(sources)), map(_WEBHOOK, sources))
    for i in sorted(hooks, key=columns.occurred_at.__getitem__):
        rows.append(AlertRow(clock.moment(columns.occurred_at[i]), columns.text[i], None,
                             columns.link[i]))
    return rows


def _compliance(record: PostmortemRecord, clock: Clock, names: Names) -> list[TickRow]:
    ticks = {t.item: t for t in record.compliance}
    rows = []
    for key, question in ARB_ITEMS.items():
        t = ticks.get(key)
        rows.append(TickRow(key, md_inline(question), t is not None,
                            names.mention(t.ticked_by) if t else Md(""),
                            clock.date(t.ticked_at) if t else Md("")))
    return rows


def _signoff(record: PostmortemRecord, clock: Clock, names: Names) -> list[SignoffRow]:
    """Each reviewer once, with their latest decision; those yet to decide show Pending."""
    latest: dict[str, DecisionData] = {}
    for decision in sorted(record.decisions, key=lambda d: d.decided_at):
        latest[decision.reviewer_id] = decision
    order = list(dict.fromkeys([*record.postmortem.reviewers, *latest]))
    rows = []
    for reviewer in order:
        d = latest.get(reviewer)
        rows.append(
            SignoffRow(
                reviewer=names.mention(reviewer),
                decision=Md(DECISION_LABELS.get(d.decision) or md_inline(d.decision))
                if d else Md("Pending"),
                date=clock.date(d.decided_at) if d else Md(""),
                comment=d.comment if d else None,
            )
        )
    return rows


def _changelog(
    record: PostmortemRecord, clock: Clock, now: datetime, names: Names
) -> list[ChangeRow]:
    rows = [
        ChangeRow(clock.date(d.created_at), d.version, d.change, names.mention(d.author_id))
        for d in sorted(record.documents, key=lambda d: d.created_at)
    ]
    pm = record.postmortem
    label = STATUS_LABELS.get(pm.status, pm.status)
    rows.append(
        ChangeRow(clock.date(now), "current", f"This rendering ({label})",
                  names.mention(pm.owner_id))
    )
    return rows


def _next_quarter_end(today: date) -> date:
    """The last day of the quarter after the current one (seed 000's metric targets)."""
    quarter = (today.month - 1) // 3 + 1
    year, quarter = (today.year + 1, 1) if quarter == 4 else (today.year, quarter + 1)
    first_after = date(year + (quarter == 4), (quarter * 3) % 12 + 1, 1)
    return first_after - timedelta(days=1)
