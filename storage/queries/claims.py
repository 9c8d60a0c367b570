"""Claiming due reminder rows and settling them: sent, failed (retried later), cancelled.

Claiming relies on the transaction's locks: PostgreSQL rows are taken `FOR UPDATE SKIP
LOCKED`; SQLite write transactions start with BEGIN IMMEDIATE (storage/db.py), so one writer at
a time and select-then-update is atomic. The claim and settle queries filter on (status,
due_at) or a key, all indexed, so a sweep's cost follows what is due, not the size of the table.
"""


from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, and_, any_, bindparam, case, func, literal, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage.kinds import (
    CANCELLED,
    CLAIMED,
    CONTROL,
    DIGEST,
    ESCALATION,
    FAILED,
    FOLLOW_UP,
    HOME,
    MESSAGE,
    NUDGE,
    PENDING,
    RECURRENCE,
    REFRESH,
    REPORT,
    ROLLUP,
    SENT,
    SNOOZE,
    UPLOAD,
)
from storage.queries.reminders import REMINDER, dialect
from storage.tables import Reminder


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


def _one_of(pg: bool, column: Any, name: str, item_type: Any) -> Any:
    """`column IN (...)` of a list bound as `name` at execution, which is cheaper to build than
    an IN of literals. One array parameter on PostgreSQL (`= ANY`): an expanding IN renders a
    placeholder per item there, a statement psycopg parses anew on every call."""
    if pg:
        # Imported here, by PostgreSQL's first claim: not by every SQLite process's start.
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(name, type_=ARRAY(item_type)))
    return column.in_(bindparam(name, expanding=True))


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
    locking = dialect(session) == "postgresql"
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
    if dialect(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = _without_superseded_redraws(session, list(session.exec(stmt).all()))
    _mark_claimed(session, rows, now=now, worker_id=worker_id, lease=lease)
    return rows


def _without_superseded_redraws(session: Session, rows: list[Reminder]) -> list[Reminder]:
    """Cancel the redraws a newer redraw of the same post-mortem covers; the rest.

    A redraw reads the post-mortem when it is sent, and a newer redraw row was written by a
    change that committed after this one's (each takes the next version, in order: the
    version bump locks the post-mortem's row). So once a newer row exists — waiting, being
    sent or sent — it shows this change too: twenty edits in a busy second redraw the message
    once or twice, not twenty times against Slack's rate limit."""
    pm_ids = {r.postmortem_id for r in rows if r.kind == REFRESH and r.postmortem_id}
    if not pm_ids:
        return rows
    newest = dict(session.execute(
        select(REMINDER.c.postmortem_id, func.max(REMINDER.c.id)).where(
            REMINDER.c.kind == REFRESH, REMINDER.c.postmortem_id.in_(sorted(pm_ids)),
            REMINDER.c.status.in_((PENDING, CLAIMED, SENT)),
        ).group_by(REMINDER.c.postmortem_id)
    ).all())
    kept = []
    for row in rows:
        newer = newest.get(row.postmortem_id) if row.kind == REFRESH else None
        if newer is not None and row.id is not None and newer > row.id:
            session.execute(update(Reminder).where(REMINDER.c.id == row.id).values(
                status=CANCELLED, lease_until=None, last_error=f"superseded by #{newer}"))
        else:
            kept.append(row)
    return kept


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
        update(REMINDER).where(
            _one_of(dialect(session) == "postgresql", REMINDER.c.id, "ids", Integer)
        ).values(**claimed, unsure=True, sent_at=since),
        {"ids": [r.id for r in rows]},
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
        # `+ 0`: not by ix_reminder_postmortem_id, which SQLite would pick, reading every row
        # of these post-mortems (a number that grows with the table); by the due index, whose
        # range holds only what is due.
        match.append(_one_of(locking, REMINDER.c.postmortem_id + 0, "pm_ids", Integer))
    if targets:
        match.append(and_(REMINDER.c.kind.in_(by_target),
                          _one_of(locking, REMINDER.c.target, "targets", String)))
    stmt = select(Reminder).where(
        _due(now), ~_one_of(locking, REMINDER.c.id, "batch_ids", Integer), or_(*match)
    )
    if locking:
        stmt = stmt.with_for_update(skip_locked=True)
    params = {"pm_ids": sorted(pm_ids), "targets": sorted(targets),
              "batch_ids": [r.id for r in batch]}
    return list(session.exec(stmt, params={k: v for k, v in params.items() if v}).all())


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


@cache
def _held(pg: bool) -> Any:
    """Built once per database kind (by its first batch, so PostgreSQL's is never built in a
    SQLite process): a batch's settle runs it as it is, with its own values bound. PostgreSQL
    locks the held rows as it reads them, so they are still held when marked."""
    stmt = select(REMINDER.c.id).where(
        _one_of(pg, REMINDER.c.id, "ids", Integer), REMINDER.c.status == CLAIMED,
        REMINDER.c.claimed_by == bindparam("worker"),
    )
    return stmt.with_for_update() if pg else stmt


# Built once, like _held.
_SENT = update(REMINDER).where(
    REMINDER.c.id == bindparam("reminder_id"), REMINDER.c.status == CLAIMED,
    REMINDER.c.claimed_by == bindparam("worker"),
).values(
    status=SENT, sent_at=bindparam("now"), lease_until=None, last_error=None, unsure=False,
    slack_channel=bindparam("channel"), slack_ts=bindparam("ts"),
)


def mark_sent_many(
    session: Session, *, sent: Sequence[tuple[int, str | None, str | None]], worker_id: str,
    now: datetime,
) -> set[int]:
    """`mark_sent` for many rows, in two statements whatever their number: (reminder id,
    channel, ts) each. Returns the ids still held, which are the ones settled; the others
    lost their lease or were cancelled, and are left as they are."""
    if not sent:
        return set()
    # Core, not the ORM: nothing in the session to keep in step with these rows.
    conn = session.connection()
    ids = [reminder_id for reminder_id, _channel, _ts in sent]
    held_stmt = _held(dialect(session) == "postgresql")
    held = {int(i) for (i,) in conn.execute(held_stmt, {"ids": ids, "worker": worker_id})}
    params = [{"reminder_id": reminder_id, "worker": worker_id, "now": now, "channel": channel,
               "ts": ts} for reminder_id, channel, ts in sent if reminder_id in held]
    if params:
        conn.execute(_SENT, params)
    return held


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
