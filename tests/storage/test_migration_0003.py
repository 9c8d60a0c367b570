"""Migration 0003 on a database that already holds post-mortems (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import make_engine, migrate
from tests.storage.old_rows import insert_postmortem


def test_0003_adds_the_inputs_and_requotes_machine_made_whys(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:
            insert_postmortem(conn)
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
