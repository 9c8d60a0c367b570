"""Fixtures for the storage tests: a fresh database of each supported kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest_pg import create_database, drop_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, SQLite and PostgreSQL in turn, for migrations to run on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)
