"""Delivery keys and short leases, both rows of `processed_key`.

A key records that a delivery (a Slack event id, a view submission, a webhook delivery) was
handled, so a retry or a double click is recognised. A lease is a key that says "I am doing this
now" across threads and replicas: released when the work fails so a retry can take it, taken
over once older than its time to live because the process that held it died mid-request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, select

from storage.tables import ProcessedKey

KEYS: Table = ProcessedKey.__table__  # type: ignore[attr-defined]

DEFAULT_LEASE_TTL = timedelta(minutes=2)


def claim_key(session: Session, *, key: str, now: datetime) -> bool:
    """Record a delivery key; False when it was already recorded (a retry or a double click).

    One INSERT that skips a duplicate key: the caller's transaction is never spoiled, and no
    savepoint is needed (every submitted form runs this inside the write lock).
    """
    # The dialect's module is imported by its first use here, not with this module: the
    # other database's costs a process tens of milliseconds to start.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        insert: Any = postgresql.insert
    else:
        from sqlalchemy.dialects import sqlite

        insert = sqlite.insert
    stmt = (insert(KEYS).values(key=key, at=now).on_conflict_do_nothing(index_elements=["key"])
            .returning(KEYS.c.key))
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT through the ORM session.
    return session.execute(stmt).scalar_one_or_none() is not None


def forget_keys_before(session: Session, *, before: datetime) -> int:
    stmt = select(ProcessedKey).where(ProcessedKey.at < before)
    old = session.exec(stmt).all()
    for row in old:
        session.delete(row)
    return len(old)


def take_lease(
    session: Session, *, key: str, now: datetime, ttl: timedelta = DEFAULT_LEASE_TTL
) -> bool:
    """True when this caller now holds `key`; False while someone else holds it."""
    held = session.get(ProcessedKey, key)
    if held is not None and held.at > now - ttl:
        return False
    if held is not None:
        session.delete(held)
        session.flush()
    return claim_key(session, key=key, now=now)


def release_lease(session: Session, *, key: str) -> None:
    held = session.get(ProcessedKey, key)
    if held is not None:
        session.delete(held)


def is_held(session: Session, *, key: str) -> bool:
    return session.get(ProcessedKey, key) is not None
