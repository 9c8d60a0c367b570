"""Outbox rows (in the reminder table) looked up again: for a redelivery someone asked for.

Exactly once holds here too: only rows still owed are made due now. A sent row stays sent,
and a claimed one belongs to the worker sending it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from storage.kinds import FAILED, PENDING
from storage.tables import Reminder


def find_outbox(
    session: Session, *, keys: Iterable[str] = (), pm_id: int | None = None,
    kinds: Iterable[str] = (),
) -> list[Reminder]:
    """Rows by dedupe key, or a post-mortem's rows (of `kinds`, when given)."""
    wanted, kinds = list(keys), list(kinds)
    if not wanted and pm_id is None:
        return []
    stmt = select(Reminder)
    if wanted:
        stmt = stmt.where(col(Reminder.dedupe_key).in_(wanted))
    if pm_id is not None:
        stmt = stmt.where(Reminder.postmortem_id == pm_id)
    if kinds:
        stmt = stmt.where(col(Reminder.kind).in_(kinds))
    return list(session.exec(stmt.order_by(col(Reminder.id))).all())


def retry_outbox(
    session: Session, *, now: datetime, keys: Iterable[str] = (), pm_id: int | None = None,
    kinds: Iterable[str] = (),
) -> list[int]:
    """Make the matching rows still owed due now — pending while they wait for a retry, or
    failed for good — and return their ids, to deliver right after the commit."""
    owed = [r for r in find_outbox(session, keys=keys, pm_id=pm_id, kinds=kinds)
            if r.status in (PENDING, FAILED)]
    for row in owed:
        row.status, row.due_at = PENDING, min(row.due_at, now)
        row.lease_until = row.claimed_by = None
        session.add(row)
    session.flush()
    return [r.id for r in owed if r.id is not None]
