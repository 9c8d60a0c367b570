"""`serve` checks the schema without importing Alembic: the heads it reads from the migration
files are Alembic's own, and a database already there is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from storage.db import (
    MIGRATIONS_DIR,
    current_revisions,
    make_engine,
    migrate,
    migration_heads,
)


def test_heads_read_from_the_files_are_alembics() -> None:
    assert migration_heads() == frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def test_a_database_at_head_is_not_migrated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    assert current_revisions(engine) == frozenset()
    migrate(engine)
    assert current_revisions(engine) == migration_heads()

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("Alembic ran on a database already at head")

    monkeypatch.setattr(command, "upgrade", refuse)
    migrate(engine)
    engine.dispose()
