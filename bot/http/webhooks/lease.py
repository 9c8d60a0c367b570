"""Short leases on ProcessedKey rows: "I am doing this now" across threads and replicas.

A lease is released when the work fails, so a retry can take it; one older than its time to
live is taken over, because the process that held it died mid-request.
"""

from __future__ import annotations

from datetime import timedelta

from bot.deps import Deps
from storage import queries
from storage.db import session_scope
from storage.tables import ProcessedKey

DEFAULT_TTL = timedelta(minutes=2)


def take_lease(deps: Deps, key: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    """True when this caller now holds `key`; False while someone else holds it."""
    now = deps.now()
    with session_scope(deps.sessions) as session:
        held = session.get(ProcessedKey, key)
        if held is not None and held.at > now - ttl:
            return False
        if held is not None:
            session.delete(held)
            session.flush()
        return queries.claim_key(session, key=key, now=now)


def release_lease(deps: Deps, key: str) -> None:
    with session_scope(deps.sessions) as session:
        held = session.get(ProcessedKey, key)
        if held is not None:
            session.delete(held)


def is_held(deps: Deps, key: str) -> bool:
    with session_scope(deps.sessions) as session:
        return session.get(ProcessedKey, key) is not None
