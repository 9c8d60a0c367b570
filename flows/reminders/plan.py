"""Which reminders a post-mortem owes, and when: deadline, escalation, follow-up, digest, snooze.

Pure: takes rows read as data, the policy and `now` (aware UTC) and returns `Reminder` rows for
storage to insert in the same transaction as the change that caused them. Every row carries a
dedupe key, so planning twice (a retried request, two replicas) inserts it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flows.policy import FollowUp, Policy, next_weekly
from storage.kinds import (
    DEADLINE,
    DIGEST,
    ESCALATION,
    FOLLOW_UP,
    RECURRENCE,
    REPORT,
    SNOOZE,
)
from storage.tables import ActionItem, Incident, Postmortem, Reminder

# Escalation stage 1 goes to people; later stages go to the announce channel.
ANNOUNCE = "announce"
SNOOZE_FOR = timedelta(days=7)


class Change(StrEnum):
    """Changes that can make reminders moot."""

    PUBLISHED = "published"
    CLOSED = "closed"
    MADE_OPTIONAL = "made_optional"
    DUE_MOVED = "due_moved"
    OWNER_CHANGED = "owner_changed"
    ITEM_DONE = "item_done"
    ITEM_WONT_DO = "item_wont_do"


_MOOT: dict[Change, frozenset[str]] = {
    Change.PUBLISHED: frozenset({DEADLINE, ESCALATION}),
    Change.MADE_OPTIONAL: frozenset({DEADLINE, ESCALATION}),
    Change.CLOSED: frozenset({DEADLINE, ESCALATION, FOLLOW_UP}),
    # Replanned rather than cancelled: see `replan_deadline`.
    Change.DUE_MOVED: frozenset(),
    Change.OWNER_CHANGED: frozenset(),
    # Nudges are per owner and list whatever is open when they go out, so a finished item only
    # loses its snooze; the owner's nudge stops by itself when nothing is left open.
    Change.ITEM_DONE: frozenset({SNOOZE}),
    Change.ITEM_WONT_DO: frozenset({SNOOZE}),
}


def moot_kinds_on(change: Change | str) -> frozenset[str]:
    """Reminder kinds a change makes pointless: cancel them in the same transaction."""
    return _MOOT[Change(change)]


def _offset_label(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds // 60}m"


def _pm_id(pm: Postmortem) -> int:
    if pm.id is None:
        raise ValueError("flush the post-mortem before planning its reminders (no id yet)")
    return pm.id


def plan_deadline(
    pm: Postmortem, incident: Incident, policy: Policy, now: datetime
) -> list[Reminder]:
    """Reminders before the deadline (to the owner) and escalations after it.

    Those already past at planning time are dropped, except the latest of them: a post-mortem
    opened late (or whose deadline moved closer) still tells its owner once, right away.
    """
    if not pm.required or pm.due_at is None or pm.status in ("published", "closed"):
        return []
    pm_id = _pm_id(pm)
    base = {"incident": incident.reference, "deadline_at": pm.due_at.isoformat()}
    rows: list[Reminder] = []
    for offset in sorted(policy.reminder_offsets, reverse=True):
        label = _offset_label(offset)
        rows.append(Reminder(
            dedupe_key=f"pm:{pm_id}:deadline:{label}", kind=DEADLINE, postmortem_id=pm_id,
            target=pm.owner_id, due_at=pm.due_at - offset,
            payload={**base, "before": label},
        ))
    for stage, after in enumerate(sorted(policy.escalation_after), start=1):
        key, due_at = f"pm:{pm_id}:escalation:{stage}", pm.due_at + after
        if stage > 1:
            rows.append(Reminder(dedupe_key=key, kind=ESCALATION, postmortem_id=pm_id,
                                 due_at=due_at,
                                 payload={**base, "stage": stage, "audience": ANNOUNCE}))
            continue
        recipients = escalation_recipients(pm, policy)
        if _named(pm) or recipients == [pm.owner_id]:
            rows.append(Reminder(dedupe_key=key, kind=ESCALATION, postmortem_id=pm_id,
                                 target=recipients[0], due_at=due_at,
                                 payload={**base, "stage": 1, "recipients": recipients}))
            continue
        # The policy's roles are likely not in the incident channel, where a mention would
        # not reach them: each gets a DM of their own.
        for n, person in enumerate(recipients):
            rows.append(Reminder(
                dedupe_key=key if n == 0 else f"{key}:{person}", kind=ESCALATION,
                postmortem_id=pm_id, target=person, due_at=due_at,
                payload={**base, "stage": 1, "recipients": [person], "direct": True},
            ))
    return _drop_past(rows, now)


def replan_deadline(
    pm: Postmortem, incident: Incident, policy: Policy, now: datetime
) -> list[Reminder]:
    """The deadline rows after the due date, owner or reviewers changed.

    Same rows as `plan_deadline`; hand them to `storage.reminders.move_reminders`, which moves
    pending rows, re-arms sent ones whose time moved into the future and cancels the rest.
    """
    return plan_deadline(pm, incident, policy, now)


def _named(pm: Postmortem) -> list[str]:
    return _unique([pm.facilitator_id, *pm.reviewers])


def escalation_recipients(pm: Postmortem, policy: Policy) -> list[str]:
    """Stage 1 of an escalation: the facilitator and reviewers; with neither set, the policy's
    roles (the owner's engineering manager, the VP); with none of those, the owner."""
    return _named(pm) or policy.escalation_roles(pm.owner_id) or [pm.owner_id]


def _drop_past(rows: list[Reminder], now: datetime) -> list[Reminder]:
    past = [r for r in rows if r.due_at <= now]
    if not past:
        return rows
    # Rows due together at the latest past moment all stay (one DM per escalation role).
    latest = max(r.due_at for r in past)
    return [r for r in rows if r.due_at > now or r.due_at == latest]


def _unique(ids: list[str | None]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))


# The seeds' 1-month check-in verifies the P2 items ("P2 — complete within 1 month").
P2 = "P2"


def follow_up_applies(
    follow_up_scope: str, severity: int | None, priorities: Iterable[str] = ()
) -> bool:
    """2-week check-ins are for SEV0/SEV1; the 1-month one for SEV2, and for any post-mortem
    with P2 items (`priorities`: its items'); the rest for everyone."""
    if severity is None:
        return True
    if follow_up_scope == "p0p1":
        return severity in (0, 1)
    if follow_up_scope == "p2":
        return severity == 2 or P2 in set(priorities)
    return True


def plan_follow_ups(
    pm: Postmortem, policy: Policy, published_at: datetime, *, severity: int | None = None,
    priorities: Iterable[str] = (),
) -> list[Reminder]:
    """Check-ins after publishing (day 10, 2 weeks, 1 month, day-30 recurrence question).

    Give `severity` (and the items' `priorities`) to drop the check-ins that do not apply;
    the sweep checks again anyway.
    """
    pm_id = _pm_id(pm)
    priorities = tuple(priorities)
    return [
        _follow_up_row(pm_id, pm.owner_id, published_at, f)
        for f in policy.follow_ups
        if follow_up_applies(f.scope, severity, priorities)
    ]


def plan_p2_check_ins(pm: Postmortem, policy: Policy, now: datetime) -> list[Reminder]:
    """A P2 item added (or made P2) after publishing: the 1-month check-ins still ahead, which
    a post-mortem without P2 items did not get. Their dedupe keys make this a no-op when
    they are planned already."""
    if pm.published_at is None:
        return []
    pm_id, published = _pm_id(pm), pm.published_at
    return [
        _follow_up_row(pm_id, pm.owner_id, published, f)
        for f in policy.follow_ups
        if f.scope == "p2" and published + timedelta(days=f.days) > now
    ]


def _follow_up_row(pm_id: int, owner_id: str, published_at: datetime, f: FollowUp) -> Reminder:
    return Reminder(
        dedupe_key=f"pm:{pm_id}:follow_up:{f.key}", kind=FOLLOW_UP, postmortem_id=pm_id,
        target=owner_id, due_at=published_at + timedelta(days=f.days),
        payload=_follow_up_payload(f),
    )


def _follow_up_payload(f: FollowUp) -> dict[str, Any]:
    payload: dict[str, Any] = {"key": f.key, "scope": f.scope, "days": f.days}
    if f.scope == RECURRENCE:
        payload["question"] = "Did this incident, or one with the same root cause, happen again?"
    return payload


def iso_week(at: datetime, tz_name: str) -> str:
    """`2025-W43`: the ISO week of `at` as seen in `tz_name`."""
    year, week, _ = at.astimezone(ZoneInfo(tz_name)).isocalendar()
    return f"{year}-W{week:02d}"


def plan_digest(
    channel: str, policy: Policy, now: datetime, *, team_id: str | None = None
) -> Reminder:
    """The next channel digest ("N action items due this week"), on the team's clock; with
    `team_id` (serving many workspaces), that workspace's items, in its channel."""
    tz = policy.deadline.timezone
    due_at = next_weekly(now, policy.nudge_weekday, policy.nudge_hour, tz)
    where = f"{team_id}:{channel}" if team_id else channel
    return Reminder(
        dedupe_key=f"digest:{where}:{iso_week(due_at, tz)}", kind=DIGEST, target=channel,
        due_at=due_at, payload={"tz": tz}, team_id=team_id,
    )


def plan_snooze(item: ActionItem, now: datetime, length: timedelta = SNOOZE_FOR) -> Reminder:
    """An item left out of its owner's nudges until `now + length` (the "snooze" button)."""
    if item.id is None:
        raise ValueError("flush the action item before snoozing it")
    return Reminder(
        dedupe_key=f"snooze:ai:{item.id}", kind=SNOOZE, postmortem_id=item.postmortem_id,
        action_item_id=item.id, target=item.owner_id, due_at=now + length,
    )


def week_window(now: datetime, tz_name: str) -> tuple[date, date]:
    """Today and the 6 days after it, as local dates: what "due this week" means in a digest."""
    today = now.astimezone(ZoneInfo(tz_name)).date()
    return today, today + timedelta(days=6)


def is_overdue(item: ActionItem, today: date) -> bool:
    return item.due_on is not None and item.due_on < today


def nudge_order(item: ActionItem, today: date) -> tuple[int, date, int, int]:
    """Overdue first (oldest first), then by due date; undated items last."""
    due = item.due_on or date.max
    return (0 if is_overdue(item, today) else 1, due, item.postmortem_id, item.number)


def utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: pass aware UTC")
    return at.astimezone(UTC)


def plan_report(
    team_id: str | None, month: str, channel: str, policy: Policy, *, chain: bool = True
) -> Reminder:
    """The program report of `month` ("2026-11"), due the first day of the month after at the
    nudge hour on the team's clock. `chain`: sending it plans the next month's."""
    year, number = (int(part) for part in month.split("-"))
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    tz = ZoneInfo(policy.deadline.timezone)
    due = datetime(year, number, 1, policy.nudge_hour, tzinfo=tz).astimezone(UTC)
    return Reminder(
        dedupe_key=f"report:{team_id or ''}:{month}", kind=REPORT, target=channel, due_at=due,
        team_id=team_id, payload={"month": month, "chain": chain},
    )
