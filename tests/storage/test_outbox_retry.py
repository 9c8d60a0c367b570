"""Redelivering on request: only what is still owed is made due now; nothing is sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from storage.db import make_engine, migrate, session_factory, session_scope
from storage.queries.outbox import find_outbox, retry_outbox
from storage.tables import Reminder
from tests.storage.factories import add_postmortem

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    migrate(engine)
    with session_scope(session_factory(engine)) as s:
        yield s
    engine.dispose()


def test_only_rows_still_owed_are_made_due_now(session: Session) -> None:
    _, pm = add_postmortem(session, now=NOW)
    later = NOW + timedelta(minutes=30)
    states = {"waiting": ("pending", later), "failed": ("failed", NOW), "sent": ("sent", NOW),
              "claimed": ("claimed", NOW), "cancelled": ("cancelled", NOW)}
    for key, (status, due) in states.items():
        session.add(Reminder(dedupe_key=key, kind="message", postmortem_id=pm.id, due_at=due,
                             status=status, claimed_by="w" if status == "claimed" else None))
    session.add(Reminder(dedupe_key="other", kind="message", due_at=later))
    session.flush()
    assert find_outbox(session) == []
    ids = retry_outbox(session, pm_id=pm.id, now=NOW)
    rows = {r.dedupe_key: r for r in session.exec(select(Reminder)).all()}
    assert sorted(ids) == sorted([rows["waiting"].id, rows["failed"].id])
    assert {k: (r.status, r.due_at) for k, r in rows.items()} == {
        "waiting": ("pending", NOW), "failed": ("pending", NOW), "sent": ("sent", NOW),
        "claimed": ("claimed", NOW), "cancelled": ("cancelled", NOW), "other": ("pending", later),
    }
    assert retry_outbox(session, keys=["other"], kinds=["upload"], now=NOW) == []
    assert retry_outbox(session, keys=["other"], now=NOW) == [rows["other"].id]
