"""Migration 0009: incidents take their post-mortem's workspace (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import make_engine, migrate
from tests.storage.old_rows import insert_postmortem
from tests.storage.test_migration_0005 import downgrade


def test_0009_gives_incidents_their_postmortems_workspace(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate(engine, "0008_loop")
        with engine.begin() as conn:
            insert_postmortem(conn)
            conn.execute(text("UPDATE postmortem SET team_id = 'T0ACME'"))
        migrate(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT team_id FROM incident")).scalar_one() == "T0ACME"
        downgrade(engine, "0008_loop")
        with engine.begin() as conn:
            columns = conn.execute(text("SELECT * FROM incident")).keys()
        assert "team_id" not in columns
    finally:
        engine.dispose()
