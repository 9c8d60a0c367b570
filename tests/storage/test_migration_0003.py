"""Migration 0003 on a database that already holds post-mortems (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine, migrate
from tests.conftest_pg import create_database, drop_database

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC).isoformat()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


def test_0003_adds_the_inputs_and_requotes_machine_made_whys(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO incident (id, reference, title, severity, services, source, "
                "created_at) VALUES (1, 'INC-1', 'Checkout API returned 500s', 1, '[]', "
                "'slack', :now)"), {"now": NOW})
            conn.execute(text(
                "INSERT INTO postmortem (id, incident_id, status, required, owner_id, "
                "reviewers, attendees, created_at, updated_at, version) VALUES (1, 1, 'draft', "
                "true, 'U0ALICE', '[]', '[]', :now, :now, 0)"), {"now": NOW})
            for position, question, answer in [
                (1, "Why did this happen: Checkout API returned 500s?",
                 "The database connection pool was exhausted."),
                (2, "Why the database connection pool was exhausted?",
                 "The deploy doubled the connections"),
                (3, "Why did the deploy double them?", "Nobody reviewed pool budgets"),
            ]:
                conn.execute(text(
                    "INSERT INTO why (postmortem_id, position, question, answer) "
                    "VALUES (1, :p, :q, :a)"), {"p": position, "q": question, "a": answer})
        migrate(engine)
        with engine.begin() as conn:
            questions = conn.execute(
                text("SELECT question FROM why ORDER BY position")).scalars().all()
            pm = conn.execute(text(
                "SELECT finance_modules, meeting_at, status_page FROM postmortem")).one()
            conn.execute(text("UPDATE timeline_entry SET milestone = 'detected'"))
        assert questions == [
            "Why did this happen: “Checkout API returned 500s”?",
            "Why did this happen: “The database connection pool was exhausted”?",
            "Why did the deploy double them?",  # the team's own question stays
        ]
        assert pm[0] in ([], "[]") and pm[1] is None and pm[2] is None
    finally:
        engine.dispose()
