"""Delivery keys on both databases: a key is claimed once, so a double-clicked submit, a
redelivered event or an inbox row found again is handled once."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.db import make_engine, migrate, session_factory, session_scope
from storage.queries.keys import claim_key

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_key_is_claimed_once_and_a_failed_claim_spoils_nothing(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    with session_scope(sessions) as session:
        assert claim_key(session, key="view:V1:h", now=NOW)
    with session_scope(sessions) as session:
        assert not claim_key(session, key="view:V1:h", now=NOW)
        # The transaction goes on after a refused claim.
        assert claim_key(session, key="view:V2:h", now=NOW)
    with session_scope(sessions) as session:
        assert not claim_key(session, key="view:V2:h", now=NOW)
