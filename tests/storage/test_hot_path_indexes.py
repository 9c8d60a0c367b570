"""`/postmortem list` reads the open post-mortems from their index, not the whole table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlmodel import SQLModel

from storage.db import make_engine, migrate, read_scope, session_factory
from storage.queries import tracker
from storage.queries.tracker import TrackerFilter
from tests.conftest_pg import create_database, drop_database

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_the_open_list_and_its_count_use_the_open_index(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate(engine)
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if "FROM postmortem" in sql and "action_item" not in sql and "timeline" not in sql:
            statements.append((sql, params))

    with read_scope(session_factory(engine)) as session:
        tracker.tracker_page(session, team_id="T0001", filters=TrackerFilter(open=True),
                             now=NOW, limit=20)
    event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 2  # the count and the page
    with engine.connect() as conn:
        for sql, params in statements:
            plan = " ".join(str(row[-1]) for row in
                            conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "USING INDEX ix_postmortem_open" in plan, (sql, plan)
            assert "SCAN postmortem" not in plan and "TEMP B-TREE" not in plan, plan
    engine.dispose()


def _open_index_sql(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"),
                                {"n": "ix_postmortem_open"}).scalar_one_or_none()
        return conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
                            {"n": "ix_postmortem_open"}).scalar_one_or_none()


def test_the_tables_create_the_open_index_as_the_migrations_do(fresh_url: str,
                                                                 tmp_path: Path) -> None:
    """The index's WHERE is given at CREATE (storage/tables.py), not at import: the models'
    `create_all` still makes the same partial index as migration 0007, on both databases."""
    other = (f"sqlite:///{tmp_path / 'created.db'}" if fresh_url.startswith("sqlite")
             else create_database())
    migrated, created = make_engine(fresh_url), make_engine(other)
    try:
        migrate(migrated)
        SQLModel.metadata.create_all(created)
        made = _open_index_sql(created)
        assert made is not None and "WHERE" in made and "closed" in made, made
        assert made == _open_index_sql(migrated)
    finally:
        migrated.dispose()
        created.dispose()
        if not other.startswith("sqlite"):
            drop_database(other)
