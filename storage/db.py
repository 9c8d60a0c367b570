"""Engines and sessions: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

SessionFactory = Callable[[], Session]

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Execution option marking a read-only transaction (read_scope): on SQLite it starts with a
# plain BEGIN, which never waits for the write lock.
READ_ONLY = "postmortem_read_only"
_HOLDS_WRITERS = "postmortem_holds_writers"


# Connections kept open: the server's 8 request threads, 4 after-ack workers, the scheduler's
# jobs. Beyond the pool a connection is opened for one use and closed (for SQLite its pragmas
# and schema read again, for PostgreSQL a new backend): under a burst that churn cost more
# than the queries. PostgreSQL: mind max_connections (default 100) times replicas.
POOL_SIZE, MAX_OVERFLOW = 16, 8
# Page cache per SQLite connection (KiB). SQLite's default, 2 MiB, fills connection by
# connection as requests touch pages, so a server's RSS crept up for thousands of requests
# and could reach 2 MiB times every pooled connection; the pages stay in the OS's file cache.
SQLITE_CACHE_KIB = 512


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for several writer threads (SQLite) or several replicas (PostgreSQL)."""
    if not url.endswith(":memory:") and url not in ("sqlite://", "sqlite:///"):
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    if url.startswith("sqlite"):
        # check_same_thread: Bolt runs listeners on a thread pool; each session still stays
        # on one thread.
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _tune_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take the transaction out of pysqlite's hands so "BEGIN IMMEDIATE" means what it says.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()

    # This process's writers queue here, in turn, before BEGIN IMMEDIATE: SQLite's own busy
    # handler makes a waiter sleep up to 100 ms between tries, so under a burst of writers
    # most of each one's wait was sleep after the lock was already free.
    writers = _WRITERS[engine] = _Writers()
    # The DB-API connections holding the turn. SQLAlchemy's commit and rollback events fire
    # before the COMMIT itself: passing the turn on there sent the next writer's BEGIN
    # IMMEDIATE into a lock still held, to sleep in SQLite's busy handler (1, 2, 5, 10 ms...),
    # which was most of an inbox write's 10-17 ms in a burst. The turn passes on once the
    # driver's commit or rollback has returned.
    holding: set[Any] = set()

    def _release(dbapi_conn: Any) -> None:
        try:
            holding.remove(dbapi_conn)
        except KeyError:
            return
        writers.release()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers queue on the busy timeout at BEGIN instead of failing on upgrade to a
        # write lock mid-transaction (SQLITE_BUSY without retry). Reads (read_scope) need no
        # lock at all under WAL: they see the last commit and never queue behind a writer.
        options = conn.get_execution_options()
        if options.get(READ_ONLY, False):
            conn.exec_driver_sql("BEGIN")
            return
        raw = conn.connection.dbapi_connection
        # Bounded: a thread that opened a second write transaction inside its first one gets
        # SQLite's busy timeout, as without the queue, rather than waiting for itself forever.
        if writers.acquire(urgent=False,
                           timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            holding.add(raw)
            conn.info[_HOLDS_WRITERS] = raw
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(raw)
            raise

    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(proxied: Any) -> None:
        commit(proxied)
        _release(proxied.dbapi_connection)

    def do_rollback(proxied: Any) -> None:
        try:
            rollback(proxied)
        finally:
            _release(proxied.dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        # A connection that went back to the pool without a commit or rollback (an
        # invalidated one) must not keep the other writers waiting.
        if record is not None and (raw := record.info.pop(_HOLDS_WRITERS, None)) is not None:
            _release(raw)


class _Writers:
    """This process's SQLite writers, one at a time; an urgent one goes first."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._held = False
        self._urgent_waiting = 0

    def acquire(self, *, urgent: bool, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._turn:
            self._urgent_waiting += urgent
            try:
                while self._held or (self._urgent_waiting and not urgent):
                    left = deadline - time.monotonic()
                    if left <= 0 or not self._turn.wait(left):
                        return False
                self._held = True
                return True
            finally:
                self._urgent_waiting -= urgent

    def release(self) -> None:
        with self._turn:
            self._held = False
            self._turn.notify_all()


# Each SQLite engine's writers (urgent_statement takes its turn there without a BEGIN).
_WRITERS: WeakKeyDictionary[Engine, _Writers] = WeakKeyDictionary()


def session_factory(engine: Engine) -> SessionFactory:
    def factory() -> Session:
        return Session(engine, expire_on_commit=False)

    return factory


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with _unit(factory()) as session:
        yield session


@contextmanager
def read_scope(factory: SessionFactory) -> Iterator[Session]:
    """A read: a snapshot of the last commit, without the write lock (SQLite), so a burst of
    reads never queues behind a writer. Nothing may be written in it: use session_scope."""
    with _unit(factory()) as session:
        session.connection(execution_options={READ_ONLY: True})
        yield session


@dataclass(frozen=True)
class Written:
    rowcount: int
    lastrowid: int | None  # SQLite's last inserted rowid
    rows: list[tuple[Any, ...]]  # what a RETURNING clause returned


def urgent_statement(engine: Engine, sql: str, params: tuple[Any, ...],
                     held: HeldConnection | None = None) -> Written:
    """One statement that is its own transaction, for a write an ack waits on: on SQLite it
    goes before the other writers of this process waiting for their turn (whose work can
    wait). No BEGIN and no COMMIT: on SQLite each call into the driver lets the burst's other
    threads take the interpreter, and the writer waits up to a switch interval per thread
    to get it back, with every ack of the batch waiting on it; on PostgreSQL each is a round
    trip. On PostgreSQL, `held` is the writer's own connection (HeldConnection)."""
    if engine.dialect.name != "sqlite":
        if held is not None:
            return held.execute(sql, params)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return _written(conn, sql, params)
    writers = _WRITERS.get(engine)  # None for an engine not made by make_engine
    raw = engine.raw_connection()  # no SQLAlchemy transaction: the driver's autocommit
    try:
        # As at BEGIN (_on_begin): past the wait, SQLite's own busy timeout still applies.
        acquired = writers is not None and writers.acquire(
            urgent=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            cursor = raw.cursor()
            cursor.execute(sql, params)
            return Written(cursor.rowcount, cursor.lastrowid, list(cursor.fetchall()))
        finally:
            if acquired and writers is not None:
                writers.release()
    finally:
        raw.close()


def _written(conn: Connection, sql: str, params: tuple[Any, ...]) -> Written:
    result = conn.exec_driver_sql(sql, params)
    rows = [tuple(row) for row in result] if result.returns_rows else []
    return Written(result.rowcount, None, rows)


class HeldConnection:
    """A PostgreSQL connection in autocommit that one thread keeps between its urgent
    statements (the inbox writer, while it has work). Taken from the pool per statement, each
    one paid a ping, the switch to autocommit and back and a reset: more than the INSERT's
    own CPU, with every ack of its batch waiting on it. Not shared between threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def execute(self, sql: str, params: tuple[Any, ...]) -> Written:
        for last_try in (False, True):
            if self._conn is None:  # a checkout pings: a server gone meanwhile is seen here
                self._conn = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
            try:
                return _written(self._conn, sql, params)
            except DBAPIError as error:
                self.close()
                # Lost while kept (the server restarted, a proxy closed it idle): once more on
                # a fresh one. A key the lost try did write is skipped as already there,
                # and the sweep saves that submission from the inbox.
                if last_try or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with suppress(DBAPIError):  # already broken: the pool drops it
                conn.close()


def restart_read(session: Session) -> None:
    """End a read_scope's transaction (after an error) and start another read like it."""
    session.rollback()
    session.connection(execution_options={READ_ONLY: True})


@contextmanager
def _unit(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


@cache
def migration_heads() -> frozenset[str]:
    """The head revision(s) of storage/migrations, read from the files' `revision` and
    `down_revision` lines: importing Alembic costs a fifth of a second at every start."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).update(_QUOTED.findall(value))
    return frozenset(revisions - parents)


def current_revisions(engine: Engine) -> frozenset[str]:
    """The revision(s) recorded in the database; empty when it was never migrated."""
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(str(r[0]) for r in rows)
    except Exception:
        return frozenset()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (not even imported when already there)."""
    if revision == "head" and current_revisions(engine) == migration_heads():
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
