"""Reminder rows: insert once, cancel or move with the change that causes it, claim, settle.

Every function runs inside the caller's transaction (`session_scope`). Claiming relies on the
transaction's locks: PostgreSQL rows are taken `FOR UPDATE SKIP LOCKED`; SQLite transactions
start with BEGIN IMMEDIATE (storage/db.py), so one writer at a time and select-then-update is
atomic. The claim and settle queries filter on (status, due_at) or a key, all indexed, so a
sweep's cost follows what is due, not the size of the table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage.kinds import (
    CANCELLED,
    CLAIMED,
    CONTROL,
    DEADLINE,
    DIGEST,
    ESCALATION,
    FAILED,
    FOLLOW_UP,
    HOME,
    LIVE,
    MESSAGE,
    NUDGE,
    PENDING,
    RECURRENCE,
    REPORT,
    ROLLUP,
    SENT,
    SNOOZE,
    UPLOAD,
)
from storage.tables import ActionItem, Postmortem, Reminder

REMINDER = Reminder.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    "dedupe_key", "kind", "postmortem_id", "action_item_id", "target", "due_at", "status",
    "lease_until", "claimed_by", "attempts", "last_error", "sent_at", "payload", "team_id",
    "unsure", "slack_channel", "slack_ts",
)


def _fill_teams(session: Session, params: list[dict[str, Any]]) -> None:
    """A row about a post-mortem is sent in that post-mortem's workspace (with its token),
    whoever planned it."""
    wanted = {p["postmortem_id"] for p in params if p["postmortem_id"] and not p["team_id"]}
    if not wanted:
        return
    stmt = select(Postmortem.id, Postmortem.team_id).where(col(Postmortem.id).in_(wanted))
    teams = {pm_id: team for pm_id, team in session.exec(stmt).all()}
    for p in params:
        if p["postmortem_id"] and not p["team_id"]:
            p["team_id"] = teams.get(p["postmortem_id"])


def team_of_row(session: Session, row: Reminder) -> str | None:
    """The workspace a row is sent in: its own, else its post-mortem's, else (a nudge) that of
    the post-mortems whose items its owner holds."""
    if row.team_id:
        return row.team_id
    if row.postmortem_id:
        pm = session.get(Postmortem, row.postmortem_id)
        return pm.team_id if pm else None
    if row.kind == NUDGE and row.target:
        stmt = (
            select(Postmortem.team_id)
            .join(ActionItem, col(ActionItem.postmortem_id) == Postmortem.id)
            .where(ActionItem.owner_id == row.target, col(Postmortem.team_id).is_not(None))
            .limit(1)
        )
        return session.exec(stmt).first()
    return None


def catch_up_group(row: Reminder) -> tuple[Any, ...]:
    """Rows due together in one group collapse to the latest after downtime.

    One deadline reminder and one escalation per post-mortem, one nudge per owner, one digest
    per workspace's channel; the recurrence question is not a progress check-in, so it keeps
    its own group.
    """
    if row.kind in (MESSAGE, UPLOAD, CONTROL):
        return (row.kind, row.id)
    if row.kind == HOME:
        return (row.kind, row.team_id, row.target)
    if row.kind == REPORT:
        return (row.kind, row.team_id)
    if row.kind in (DIGEST, ROLLUP):
        return (row.kind, row.team_id, row.target)
    if row.kind == NUDGE:
        return (row.kind, row.target)
    if row.kind == SNOOZE:
        return (row.kind, row.action_item_id)
    if row.kind == ESCALATION and (row.payload or {}).get("direct"):
        # Escalation DMs to each of the policy's roles: one per person.
        return (row.kind, row.postmortem_id, row.target)
    if row.kind == FOLLOW_UP:
        question = (row.payload or {}).get("scope") == RECURRENCE
        return (row.kind, row.postmortem_id, RECURRENCE if question else "progress")
    return (row.kind, row.postmortem_id)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failed attempt, capped at an hour: never given up."""
    return timedelta(minutes=min(2 ** min(max(attempts - 1, 0), 6), 60))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _values(row: Reminder) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["status"] = values["status"] or PENDING
    values["attempts"] = values["attempts"] or 0
    values["payload"] = values["payload"] or {}
    values["unsure"] = bool(values["unsure"])
    return values


def add_reminders(session: Session, rows: Iterable[Reminder]) -> int:
    """Insert rows whose dedupe key is new; the rest are left as they are. Returns inserted."""
    return len(insert_reminders(session, rows))


def insert_reminders(session: Session, rows: Iterable[Reminder]) -> list[int]:
    """`add_reminders`, returning the new rows' ids (to deliver them right after the commit)."""
    params = [_values(r) for r in rows]
    _fill_teams(session, params)
    if not params:
        return []
    dialect = _dialect(session)
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(REMINDER)
    elif dialect == "sqlite":
        stmt = sqlite.insert(REMINDER)
    else:
        raise RuntimeError(f"add_reminders supports SQLite and PostgreSQL, not {dialect}")
    stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(REMINDER.c.id)
    return [int(row[0]) for row in session.execute(stmt, params).all()]


def cancel_reminders(
    session: Session,
    *,
    kinds: Iterable[str],
    now: datetime,
    pm_id: int | None = None,
    item_id: int | None = None,
    reason: str = "moot",
) -> int:
    """Cancel the post-mortem's (or action item's) live reminders of `kinds`. Returns how many.

    Claimed rows are cancelled too: a sweep that is sending one right now loses its mark_sent,
    and a crashed sweep's row is not picked up again when its lease runs out.
    """
    kinds = tuple(kinds)
    if not kinds or (pm_id is None and item_id is None):
        return 0
    stmt = update(Reminder).where(
        REMINDER.c.kind.in_(kinds), REMINDER.c.status.in_(LIVE)
    ).values(
        status=CANCELLED, lease_until=None, last_error=f"{reason} ({now:%Y-%m-%d %H:%M} UTC)"
    )
    if pm_id is not None:
        stmt = stmt.where(REMINDER.c.postmortem_id == pm_id)
    if item_id is not None:
        stmt = stmt.where(REMINDER.c.action_item_id == item_id)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def move_reminders(
    session: Session,
    *,
    pm_id: int,
    rows: Sequence[Reminder],
    now: datetime,
    kinds: Iterable[str] = (DEADLINE, ESCALATION),
) -> int:
    """Make the post-mortem's reminders of `kinds` match a fresh plan (`replan_deadline`).

    Rows in the plan move to their new time and target; one already sent is sent again only
    when its new time is still ahead (the deadline moved out, so the "24 h left" is news
    again). Live rows the plan no longer has are cancelled. Returns rows changed.
    """
    kinds = tuple(kinds)
    stmt = select(Reminder).where(
        Reminder.postmortem_id == pm_id, col(Reminder.kind).in_(kinds)
    )
    existing = {r.dedupe_key: r for r in session.exec(stmt).all()}
    changed, new = 0, []
    for planned in rows:
        old = existing.pop(planned.dedupe_key, None)
        if old is None:
            new.append(planned)
            continue
        moved = old.due_at != planned.due_at or old.target != planned.target
        if old.status == SENT and not (moved and planned.due_at > now):
            continue
        if old.status in LIVE and not moved and old.payload == planned.payload:
            continue
        old.due_at, old.target, old.payload = planned.due_at, planned.target, planned.payload
        old.status, old.attempts, old.last_error, old.unsure = PENDING, 0, None, False
        old.lease_until = old.claimed_by = old.sent_at = None
        changed += 1
    for stale in existing.values():
        if stale.status in LIVE:
            stale.status, stale.lease_until, stale.last_error = CANCELLED, None, "replanned"
            changed += 1
    session.flush()
    return changed + add_reminders(session, new)


def _due(now: datetime) -> Any:
    # Both branches start with status and due_at, so both are ranges on ix_reminder_due.
    return or_(
        and_(REMINDER.c.status == PENDING, REMINDER.c.due_at <= now),
        and_(
            REMINDER.c.status == CLAIMED, REMINDER.c.due_at <= now, REMINDER.c.lease_until < now
        ),
    )


def list_due_reminders(session: Session, *, now: datetime, limit: int) -> list[Reminder]:
    """What a sweep would claim now (for a dry run): reads only, locks nothing."""
    stmt = select(Reminder).where(_due(now)).order_by(
        col(Reminder.due_at), col(Reminder.id)
    ).limit(limit)
    return list(session.exec(stmt).all())


def claim_due_reminders(
    session: Session, *, now: datetime, worker_id: str, lease: timedelta, limit: int
) -> list[Reminder]:
    """Claim up to `limit` due rows (pending, or claimed by a sweep whose lease ran out).

    After downtime several rows of one group (`catch_up_group`) can be due at once: only the
    latest is claimed; the older ones are cancelled as "superseded" instead of flooding Slack.
    The rows come back with `unsure` as it was before this claim: True means an earlier attempt
    may have reached Slack, so the sender looks before it sends.
    """
    locking = _dialect(session) == "postgresql"
    stmt = select(Reminder).where(_due(now)).order_by(
        col(Reminder.due_at), col(Reminder.id)
    ).limit(limit)
    if locking:
        stmt = stmt.with_for_update(skip_locked=True)
    batch = list(session.exec(stmt).all())
    if not batch:
        return []
    rows = batch + _same_group_due(session, batch, now, locking)
    groups: dict[tuple[Any, ...], list[Reminder]] = defaultdict(list)
    for row in rows:
        groups[catch_up_group(row)].append(row)
    winners: list[Reminder] = []
    losers: list[tuple[Reminder, Reminder]] = []
    for members in groups.values():
        members.sort(key=lambda r: (r.due_at, r.id or 0))
        winners.append(members[-1])
        losers.extend((m, members[-1]) for m in members[:-1])
    for loser, winner in losers:
        session.execute(
            update(Reminder).where(REMINDER.c.id == loser.id).values(
                status=CANCELLED, lease_until=None, last_error=f"superseded by #{winner.id}"
            )
        )
    _mark_claimed(session, winners, now=now, worker_id=worker_id, lease=lease)
    winners.sort(key=lambda r: (r.due_at, r.id or 0))
    return winners


def claim_reminders(
    session: Session, *, ids: Sequence[int], now: datetime, worker_id: str, lease: timedelta
) -> list[Reminder]:
    """Claim these rows if they are still pending and due: a change's own messages, sent right
    after its commit. Rows a sweep got to first (or that failed and wait for a retry) are not
    returned; the sweep delivers them."""
    if not ids:
        return []
    stmt = select(Reminder).where(
        col(Reminder.id).in_(list(ids)), Reminder.status == PENDING, Reminder.due_at <= now
    ).order_by(col(Reminder.id))
    if _dialect(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.exec(stmt).all())
    _mark_claimed(session, rows, now=now, worker_id=worker_id, lease=lease)
    return rows


def _mark_claimed(
    session: Session, rows: list[Reminder], *, now: datetime, worker_id: str, lease: timedelta
) -> None:
    if not rows:
        return
    claimed = {"status": CLAIMED, "claimed_by": worker_id, "lease_until": now + lease}
    # `unsure` is set in the database only: until this claim is settled, a send may have
    # reached Slack. The objects keep the value from before, which the sender needs.
    # The table, not the ORM class: an ORM update would also rewrite the objects' `unsure`.
    # `sent_at` of an unsure row says since when a send may have reached Slack: this claim,
    # or the earliest one still unsettled. The lookup before the next send starts there, not
    # at `due_at`, which a failed attempt moves past that send (`mark_failed`).
    claimed_at = literal(now, REMINDER.c.sent_at.type)
    since = case((REMINDER.c.unsure, func.coalesce(REMINDER.c.sent_at, claimed_at)),
                 else_=claimed_at)
    session.execute(
        update(REMINDER).where(REMINDER.c.id.in_([r.id for r in rows])).values(
            **claimed, unsure=True, sent_at=since
        )
    )
    for row in rows:
        # The UPDATE above already wrote these; keep the objects in step without re-flushing.
        for name, value in claimed.items():
            set_committed_value(row, name, value)


def _same_group_due(
    session: Session, batch: list[Reminder], now: datetime, locking: bool
) -> list[Reminder]:
    """Due rows outside the batch that share a group with a batch row (a limit can split one)."""
    by_target = (NUDGE, DIGEST, ROLLUP)
    pm_ids = {r.postmortem_id for r in batch if r.kind not in by_target and r.postmortem_id}
    targets = {r.target for r in batch if r.kind in by_target and r.target}
    if not pm_ids and not targets:
        return []
    match = []
    if pm_ids:
        match.append(REMINDER.c.postmortem_id.in_(pm_ids))
    if targets:
        match.append(and_(REMINDER.c.kind.in_(by_target), REMINDER.c.target.in_(targets)))
    stmt = select(Reminder).where(
        _due(now), col(Reminder.id).not_in([r.id for r in batch]), or_(*match)
    )
    if locking:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.exec(stmt).all())


def _settle(session: Session, reminder_id: int, worker_id: str, **values: Any) -> bool:
    """Update a row we still hold; False if the lease was lost or the row was cancelled."""
    stmt = update(Reminder).where(
        REMINDER.c.id == reminder_id,
        REMINDER.c.status == CLAIMED,
        REMINDER.c.claimed_by == worker_id,
    ).values(**values)
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def mark_sent(
    session: Session,
    *,
    reminder_id: int,
    worker_id: str,
    now: datetime,
    channel: str | None = None,
    ts: str | None = None,
) -> bool:
    """Sent (or found already sent): `channel` and `ts` say where Slack put it."""
    return _settle(
        session, reminder_id, worker_id, status=SENT, sent_at=now, lease_until=None,
        last_error=None, unsure=False, slack_channel=channel, slack_ts=ts,
    )


def release_reminders(session: Session, *, reminder_ids: Sequence[int], worker_id: str) -> int:
    """Hand claimed rows back unsent (a sweep running out of lease time)."""
    if not reminder_ids:
        return 0
    stmt = update(Reminder).where(
        REMINDER.c.id.in_(list(reminder_ids)),
        REMINDER.c.status == CLAIMED,
        REMINDER.c.claimed_by == worker_id,
    ).values(status=PENDING, claimed_by=None, lease_until=None, unsure=False, sent_at=None)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def mark_cancelled(session: Session, *, reminder_id: int, worker_id: str, reason: str) -> bool:
    """A claimed row that turned out moot at send time (published, item done, nobody to tell)."""
    return _settle(
        session, reminder_id, worker_id, status=CANCELLED, lease_until=None, last_error=reason,
        unsure=False,
    )


def mark_failed(
    session: Session,
    *,
    reminder_id: int,
    worker_id: str,
    now: datetime,
    error: str,
    retry_at: datetime | None = None,
    permanent: bool = False,
    unsure: bool = False,
) -> bool:
    """Back to pending for another try (exponential backoff, capped), the error kept visible.

    `permanent` is for errors no retry can fix (the user left the workspace): status failed.
    `unsure`: the failure does not prove Slack did not take it (a dropped connection, a
    timeout), so the next attempt looks before it sends.
    """
    row = session.get(Reminder, reminder_id)
    if row is None:
        return False
    attempts = row.attempts + 1
    # Still unsure: keep since when (`sent_at`, from the claim). Sure: nothing went out.
    since = {} if unsure else {"sent_at": None}
    if permanent:
        return _settle(
            session, reminder_id, worker_id, status=FAILED, attempts=attempts,
            last_error=error, lease_until=None, unsure=unsure, **since,
        )
    # Slack said when (Retry-After): then. Otherwise back off, longer after each failure.
    retry_at = retry_at or now + retry_delay(attempts)
    return _settle(
        session, reminder_id, worker_id, status=PENDING, attempts=attempts, last_error=error,
        due_at=retry_at, lease_until=None, claimed_by=None, unsure=unsure, **since,
    )


def snooze_action_item(session: Session, *, row: Reminder) -> None:
    """Keep an item out of its owner's nudges until `row.due_at` (from `plan_snooze`)."""
    if add_reminders(session, [row]):
        return
    existing = session.exec(select(Reminder).where(Reminder.dedupe_key == row.dedupe_key)).one()
    existing.due_at, existing.status, existing.last_error = row.due_at, PENDING, None
    session.flush()


def snoozed_items(session: Session, *, item_ids: Iterable[int], now: datetime) -> set[int]:
    ids = list(item_ids)
    if not ids:
        return set()
    stmt = select(Reminder.action_item_id).where(
        col(Reminder.action_item_id).in_(ids),
        Reminder.kind == SNOOZE,
        Reminder.status == PENDING,
        Reminder.due_at > now,
    )
    return {i for i in session.exec(stmt).all() if i is not None}


def follow_ups_of(session: Session, *, pm_id: int) -> list[Reminder]:
    """The post-mortem's check-ins after publishing, whatever their state."""
    stmt = select(Reminder).where(Reminder.postmortem_id == pm_id, Reminder.kind == FOLLOW_UP)
    return list(session.exec(stmt).all())
