"""SQLite writers of one process take turns (storage/db.py): the next one in line begins only
once the one before has committed, so it never meets a held lock and sleeps in SQLite's busy
handler (1, 2, 5, 10 ms... each time), which is what made a burst's inbox writes slow."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from storage.db import make_engine, migrate


def test_the_next_writer_begins_after_the_commit_not_before(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate(engine)
    engine.dispose()
    statements: list[tuple[str, str]] = []
    second_began = threading.Event()

    @event.listens_for(engine, "connect")
    def trace(dbapi_conn: Any, _record: Any) -> None:
        def seen(sql: str) -> None:
            statements.append((threading.current_thread().name, sql))
            if sql == "BEGIN IMMEDIATE" and threading.current_thread().name == "second":
                second_began.set()

        dbapi_conn.set_trace_callback(seen)

    @event.listens_for(engine, "commit")
    def hold_the_commit(_conn: Any) -> None:
        # The first writer is between SQLAlchemy's commit event and the COMMIT itself: a
        # second writer let in now would BEGIN against the lock still held.
        if threading.current_thread().name == "first":
            second_began.wait(timeout=0.5)

    in_first = threading.Event()

    def first() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO turns VALUES (1)"))
            in_first.set()
            second_thread.start()

    def second() -> None:
        in_first.wait()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO turns VALUES (2)"))

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE turns (n INTEGER)"))
    statements.clear()
    second_thread = threading.Thread(target=second, name="second")
    first_thread = threading.Thread(target=first, name="first")
    first_thread.start()
    first_thread.join()
    second_thread.join()
    order = [(who, sql) for who, sql in statements if sql in ("COMMIT", "BEGIN IMMEDIATE")]
    assert order == [("first", "BEGIN IMMEDIATE"), ("first", "COMMIT"),
                     ("second", "BEGIN IMMEDIATE"), ("second", "COMMIT")]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM turns")).scalar() == 2
    engine.dispose()
