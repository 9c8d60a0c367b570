"""What incident tools told us about an incident before it was resolved.

Tools leave the acknowledgement out of their "resolved" deliveries, so each acknowledgement
is kept as a delivery key `ack:<source>:<external id>:<time>` for the resolve that follows.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.queries.keys import claim_key
from storage.tables import ProcessedKey


def _prefix(source: str, external_id: str) -> str:
    return f"ack:{source}:{external_id}:"


def record_acknowledgement(
    session: Session, *, source: str, external_id: str, at: datetime, now: datetime
) -> None:
    claim_key(session, key=_prefix(source, external_id) + at.isoformat(), now=now)


def first_acknowledgement(
    session: Session, *, source: str, external_id: str
) -> datetime | None:
    prefix = _prefix(source, external_id)
    # Escaped: an external id may hold LIKE's wildcards (`_`, `%`).
    stmt = select(ProcessedKey.key).where(
        col(ProcessedKey.key).startswith(prefix, autoescape=True)
    )
    times = [datetime.fromisoformat(k.removeprefix(prefix)) for k in session.exec(stmt).all()]
    return min(times, default=None)
