"""Databases for the benchmarks: create one (a SQLite file, or a PostgreSQL database of its own
on the test server), fill it with bulk inserts, drop it.

    from bench.seed import bench_database, seed_workspace
    with bench_database("sqlite", tmp, "ack") as engine:
        seed_workspace(engine, postmortems=10_000)

The workspace is bench/tracker_data.py's (incidents, post-mortems, action items, timeline
entries), every post-mortem in an incident channel of its own (`channel_of`) with a control
message, so clicks and submissions on any of them reach a real row. PostgreSQL databases are named
`bench_<label>_<random>` and dropped afterwards: the tests' `test` database is never touched.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.tracker_data import VIEWER, fill
from storage.db import make_engine, migrate

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHANNEL_PREFIX = "CBENCH"
TEAM = "T0001"
CHUNK = 50_000

__all__ = ["CHANNEL_PREFIX", "PG_URL", "TEAM", "VIEWER", "bench_database", "bulk_insert",
           "channel_of", "database_url", "drop_database", "seed_workspace"]


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _copy_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def bulk_insert(engine: Engine, model: Any, rows: Iterator[dict[str, Any]]) -> None:
    """Rows as fast as the database takes them: COPY on PostgreSQL, executemany on SQLite.
    Every row must have the first row's keys."""
    table = model.__table__
    if engine.dialect.name == "postgresql":
        first = next(rows, None)
        if first is None:
            return
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cols = list(first)
            with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                copy.write_row([_copy_value(first[c]) for c in cols])
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in cols])
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        for chunk in _chunks(rows):
            conn.execute(insert(table), chunk)


def seed_workspace(engine: Engine, *, postmortems: int, items_per_pm: int = 3,
                   timeline: int = 5) -> None:
    """`postmortems` post-mortems of workspace TEAM, each in its channel with a control message
    (`message_ts` "1700000000.<id>"); every 100th is VIEWER's (bench/tracker_data.py)."""
    fill(engine, postmortems=postmortems, items=postmortems * items_per_pm, team=TEAM,
         timeline=timeline)
    ts = "'1700000000.' || CAST(id AS TEXT)" if engine.dialect.name == "sqlite" \
        else "'1700000000.' || id::text"
    channel = f"'{CHANNEL_PREFIX}' || CAST(id AS TEXT)"
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE postmortem SET channel_id = {channel}, message_ts = {ts}"))
        conn.execute(text(f"UPDATE incident SET channel_id = {channel}"))
        conn.exec_driver_sql("ANALYZE")


def channel_of(pm_id: int) -> str:
    return f"{CHANNEL_PREFIX}{pm_id}"


def database_url(db: str, workdir: Path, label: str) -> str:
    """A new empty database's URL (PostgreSQL: created here; drop it with `drop_database`)."""
    if db == "sqlite":
        return f"sqlite:///{workdir / f'bench-{label}.db'}"
    name = f"bench_{label}_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(False)


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def bench_database(db: str, workdir: Path, label: str) -> Iterator[Engine]:
    """A migrated, empty database of kind `db` ("sqlite" or "postgresql") for one bench."""
    url = database_url(db, workdir, label)
    engine = make_engine(url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        drop_database(url)
