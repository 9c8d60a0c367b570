"""The tables the models describe are the tables the migrations make: a column, index or
constraint changed on one side only would make `create_all` (the tests, the demo) and
`migrate` (production) disagree, and autogenerate would find it in the next migration."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.tables  # the models' metadata
import storage.workspace_tables  # noqa: F401
from storage.db import make_engine, migrate


def test_the_migrated_schema_is_the_models_schema(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    assert drift == []
