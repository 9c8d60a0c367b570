"""Reads never queue for SQLite's write lock: a burst of clicks reads while a writer commits."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from storage.db import make_engine, migrate, read_scope, session_factory, session_scope
from storage.tables import Incident

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_a_read_does_not_wait_for_a_held_write_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with session_scope(sessions) as session:
        session.add(Incident(reference="INC-1", title="Checkout down", severity=1,
                             created_at=NOW))
    with session_scope(sessions) as writer:  # BEGIN IMMEDIATE: holds the write lock
        writer.add(Incident(reference="INC-2", title="Not committed yet", severity=2,
                            created_at=NOW))
        writer.flush()
        started = time.monotonic()
        with read_scope(sessions) as reader:
            seen = [i.reference for i in reader.exec(select(Incident)).all()]
        waited = time.monotonic() - started
    # The busy timeout is 15 s: a read that queued for the lock would have failed or hung.
    assert waited < 1.0
    assert seen == ["INC-1"]  # the snapshot of the last commit
    with read_scope(sessions) as reader:
        assert len(reader.exec(select(Incident)).all()) == 2
    engine.dispose()
