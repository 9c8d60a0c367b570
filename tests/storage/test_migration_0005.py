"""Migration 0005 on a database that already holds action items (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from storage.db import make_engine, migrate
from tests.storage.old_rows import NOW, insert_postmortem

MIGRATIONS = Path(__file__).resolve().parents[2] / "storage" / "migrations"


def downgrade(engine: Engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_0005_keeps_items_and_adds_the_wont_do_reason(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate(engine, "0004_outbox")
        with engine.begin() as conn:
            insert_postmortem(conn, status="published")
            conn.execute(text(
                "INSERT INTO action_item (id, postmortem_id, number, title, priority, "
                "category, status, created_at, updated_at) VALUES (1, 1, 1, 'Add the alert', "
                "'P1', 'Detection', 'wont_do', :now, :now)"), {"now": NOW})
        migrate(engine)
        with engine.begin() as conn:
            before = conn.execute(text(
                "SELECT title, status, wont_do_reason FROM action_item")).one()
            conn.execute(text("UPDATE action_item SET wont_do_reason = 'Superseded by AI-2'"))
            conn.execute(text(
                "INSERT INTO reminder (dedupe_key, kind, postmortem_id, action_item_id, "
                "due_at, status, attempts, payload, unsure) VALUES ('snooze:ai:1', 'snooze', "
                "1, 1, :now, 'pending', 0, '{}', false)"), {"now": NOW})
            after = conn.execute(text("SELECT wont_do_reason FROM action_item")).scalar_one()
        assert tuple(before) == ("Add the alert", "wont_do", None)
        assert after == "Superseded by AI-2"
        downgrade(engine, "0004_outbox")
        with engine.begin() as conn:
            columns = conn.execute(text("SELECT * FROM action_item")).keys()
            snoozes = conn.execute(text("SELECT count(*) FROM reminder")).scalar_one()
        assert "wont_do_reason" not in columns and snoozes == 1
    finally:
        engine.dispose()
