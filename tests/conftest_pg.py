"""PostgreSQL for the tests: a fresh, migrated database per test run, dropped afterwards.

The server comes from TEST_POSTGRES_URL (default: local trust auth, database `test`). Tests that
need it FAIL when it is unreachable: a silently skipped claim test proves nothing. Each run
creates `test_<random>` through the `test` database, so parallel runs never share tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storage.db import make_engine, migrate

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASES = ("sqlite", "postgresql")
_KEEP = {"alembic_version"}


def admin_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def create_database(base_url: str | None = None) -> str:
    """Create an empty uniquely named database on the test server; returns its URL."""
    base = base_url or admin_url()
    name = f"test_{secrets.token_hex(6)}"
    engine = _admin_engine(base)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:
        pytest.fail(f"PostgreSQL at {base} is unreachable ({err}); set TEST_POSTGRES_URL")
    finally:
        engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, base_url: str | None = None) -> None:
    name = make_url(url).database
    engine = _admin_engine(base_url or admin_url())
    try:
        with engine.connect() as conn:
            # FORCE: a crashed worker process may still hold a connection.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every table but Alembic's, so each test starts clean on the shared database."""
    with engine.begin() as conn:
        names = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )).scalars().all()
        tables = ", ".join(f'"{n}"' for n in names if n not in _KEEP)
        if tables:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def sqlite_file_url(directory: Path) -> str:
    """A migrated SQLite file database (a file, so several processes can share it)."""
    url = f"sqlite:///{directory / 'reminders.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated database of its own for this test run."""
    url = create_database()
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture
def pg_clean_url(pg_url: str) -> str:
    """`pg_url`, emptied for this test."""
    engine = make_engine(pg_url)
    try:
        truncate_all(engine)
    finally:
        engine.dispose()
    return pg_url


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test twice: a fresh migrated SQLite file, and the run's emptied PostgreSQL db."""
    if request.param == "sqlite":
        return sqlite_file_url(tmp_path)
    return str(request.getfixturevalue("pg_clean_url"))
