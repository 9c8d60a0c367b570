"""What a due reminder row should say, and to whom, decided against the state of now.

A row was planned when something happened; by the time it is due the post-mortem may be
published or the item done. `decide` re-reads what matters and answers `Due` (send this) or
`Moot` (don't, and why). Reads only: settling the row is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from flows.policy import Policy
from flows.reminders.nudge import Nudge, ensure_nudges, nudge_for
from flows.reminders.plan import (
    escalation_recipients,
    follow_up_applies,
    plan_digest,
    week_window,
)
from flows.reminders.rollup import Rollup, plan_manager_rows, plan_round, rollup_for
from storage.kinds import (
    CLOSED,
    DEADLINE,
    DIGEST,
    ESCALATION,
    FOLLOW_UP,
    NUDGE,
    OPEN_ITEM_STATUSES,
    PUBLISHED,
    RECURRENCE,
    ROLLUP,
    SNOOZE,
)
from storage.queries import action_items
from storage.queries.action_items import OpenItem
from storage.queries.reminders import add_reminders
from storage.tables import ActionItem, Incident, Postmortem, Reminder


@dataclass(frozen=True)
class Then:
    """Work to do in the transaction that marks the row sent: plan the next one in a chain."""

    owner_id: str | None = None  # ensure this owner's next weekly nudge
    owner_tz: str | None = None
    rows: tuple[Reminder, ...] = ()  # rows to add (the next digest)


@dataclass(frozen=True)
class Moot:
    """Nothing to send. `done` marks it sent (a snooze that ran out) instead of cancelled."""

    reason: str
    done: bool = False
    then: Then | None = None


@dataclass(frozen=True)
class Due:
    """A reminder to send. `to` is a user or channel id, or None for the announce channel."""

    kind: str
    to: str | None
    postmortem: Postmortem | None = None
    incident: Incident | None = None
    items: list[ActionItem] = field(default_factory=list)
    rows: list[OpenItem] = field(default_factory=list)
    stage: int = 1
    scope: str = ""
    days: int = 0
    # Escalation stage 1 in the post-mortem's thread, mentioning these people.
    mentions: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    nudge: Nudge | None = None
    week: tuple[date, date] | None = None
    rollup: Rollup | None = None
    then: Then | None = None

    def link_of(self) -> tuple[str, str] | None:
        """The control message to link to, when the reminder is not already in its thread."""
        pm = self.postmortem
        if pm is None or self.thread_ts or not (pm.channel_id and pm.message_ts):
            return None
        return pm.channel_id, pm.message_ts


Decision = Due | Moot


def decide(
    session: Session, row: Reminder, *, policy: Policy, now: datetime, digest_channel: str
) -> Decision:
    if row.kind in (DEADLINE, ESCALATION, FOLLOW_UP):
        pm = session.get(Postmortem, row.postmortem_id) if row.postmortem_id else None
        if pm is None:
            return Moot("post-mortem is gone")
        incident = session.get(Incident, pm.incident_id)
        assert incident is not None
        if row.kind == FOLLOW_UP:
            return _follow_up(session, row, pm, incident)
        return _deadline(row, pm, incident, policy)
    if row.kind == NUDGE:
        return _nudge(session, row, now)
    if row.kind == DIGEST:
        return _digest(session, row, policy, now, row.target or digest_channel)
    if row.kind == ROLLUP:
        return _rollup(session, row, policy, now)
    if row.kind == SNOOZE:
        return Moot("snooze over", done=True)
    return Moot(f"unknown reminder kind {row.kind!r}")


def _deadline(row: Reminder, pm: Postmortem, incident: Incident, policy: Policy) -> Decision:
    if pm.status in (PUBLISHED, CLOSED):
        return Moot(f"post-mortem is {pm.status}")
    if not pm.required or pm.due_at is None:
        return Moot("post-mortem has no deadline any more")
    if row.kind == DEADLINE:
        return Due(DEADLINE, pm.owner_id, pm, incident)
    stage = int((row.payload or {}).get("stage", 1))
    if stage > 1:
        return Due(ESCALATION, None, pm, incident, stage=stage)
    if (row.payload or {}).get("direct") and row.target:
        # One of the policy's roles, planned because nobody else was named: a DM of its own.
        return Due(ESCALATION, row.target, pm, incident, stage=1)
    recipients = escalation_recipients(pm, policy)
    if pm.channel_id and pm.message_ts:
        # One reply in the post-mortem's thread mentioning everyone: one message, in context,
        # and no group-DM scope (mpim:write) needed.
        return Due(ESCALATION, pm.channel_id, pm, incident, stage=1, mentions=recipients,
                   thread_ts=pm.message_ts)
    return Due(ESCALATION, recipients[0], pm, incident, stage=1)


def _follow_up(session: Session, row: Reminder, pm: Postmortem, incident: Incident) -> Decision:
    payload = row.payload or {}
    scope, days = str(payload.get("scope", "progress")), int(payload.get("days", 0))
    if pm.status != PUBLISHED:
        return Moot(f"post-mortem is {pm.status}")
    stmt = select(ActionItem).where(ActionItem.postmortem_id == pm.id).order_by(
        col(ActionItem.number)
    )
    items = list(session.exec(stmt).all())
    if not follow_up_applies(scope, incident.severity, [a.priority for a in items]):
        return Moot(f"{scope} check-in does not apply to SEV{incident.severity}")
    if scope != RECURRENCE and not any(a.status in OPEN_ITEM_STATUSES for a in items):
        return Moot("no open action items")
    return Due(FOLLOW_UP, pm.owner_id, pm, incident, items=items, scope=scope, days=days)


def _nudge(session: Session, row: Reminder, now: datetime) -> Decision:
    owner = row.target
    if not owner:
        return Moot("nudge without an owner")
    tz = (row.payload or {}).get("tz")
    # Only while something is open: finishing the last item ends the weekly nudges.
    then = Then(owner_id=owner, owner_tz=tz)
    nudge = nudge_for(session, owner_id=owner, tz=tz, now=now)
    if not nudge.items:
        return Moot("no open action items to nudge about", then=then)
    return Due(NUDGE, owner, nudge=nudge, then=then)


def _digest(
    session: Session, row: Reminder, policy: Policy, now: datetime, channel: str
) -> Decision:
    then = Then(rows=(plan_digest(channel, policy, now, team_id=row.team_id),))
    first, last = week_window(now, policy.deadline.timezone)
    rows = action_items.items_due_between(session, first=first, last=last, team_id=row.team_id)
    if not rows:
        return Moot("no action items due this week", then=then)
    return Due(DIGEST, channel, rows=rows, week=(first, last), then=then)


def _rollup(session: Session, row: Reminder, policy: Policy, now: datetime) -> Decision:
    if row.target is None:
        # The round sends nothing itself: it plans this week's DMs and next week's round.
        rows = plan_manager_rows(session, policy, now)
        return Moot(f"rolled up to {len(rows)} manager(s)", done=True,
                    then=Then(rows=(*rows, plan_round(policy, now))))
    rollup = rollup_for(session, manager_id=row.target, team_id=row.team_id, policy=policy,
                        now=now)
    if not rollup.rows:
        return Moot("nothing of their reports is overdue any more")
    return Due(ROLLUP, row.target, rollup=rollup)


def settle_then(session: Session, then: Then | None, *, policy: Policy, now: datetime) -> None:
    """Plan what comes after a sent (or moot) row, in the transaction that settles it."""
    if then is None:
        return
    if then.owner_id:
        ensure_nudges(session, owner_id=then.owner_id, owner_tz=then.owner_tz, policy=policy,
                      now=now)
    if then.rows:
        add_reminders(session, list(then.rows))
