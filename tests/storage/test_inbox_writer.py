"""The inbox's group commit on both databases: a burst of forms written down together, each
ack told its own row, a double click within one write told it is one, a failed write told to
every ack that waited on it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from storage.db import make_engine, migrate, session_factory
from storage.inbox_writer import InboxWriter
from storage.queries import inbox as store
from storage.tables import Submission

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def writer_for(db_url: str) -> tuple[InboxWriter, Any]:
    engine = make_engine(db_url)
    migrate(engine)
    return InboxWriter(engine), session_factory(engine)


def receive(writer: InboxWriter, key: str) -> int | None:
    return writer.receive(key=key, callback_id="timeline.entry", team_id="T0001",
                          body=f'{{"k":"{key}"}}', now=NOW)


def test_a_burst_is_written_down_each_form_once(db_url: str) -> None:
    writer, sessions = writer_for(db_url)
    keys = [f"view:V{n}:h" for n in range(40)] + ["view:V0:h"]  # the last: a double click
    results: dict[int, int | None] = {}
    go = threading.Barrier(len(keys))

    def send(n: int, key: str) -> None:
        go.wait()
        results[n] = receive(writer, key)

    threads = [threading.Thread(target=send, args=(n, k)) for n, k in enumerate(keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for i in results.values() if i is not None]
    assert len(ids) == len(set(ids)) == 40  # one of the two clicks of V0 got None
    with sessions() as session:
        stored = {s.id: s for s in session.exec(select(Submission)).all()}
    assert set(stored) == set(ids)
    assert {s.key for s in stored.values()} == set(keys)
    assert all(s.received_at == NOW and s.attempts == 0 for s in stored.values())


def test_a_key_already_written_down_is_refused_later_too(db_url: str) -> None:
    writer, _ = writer_for(db_url)
    assert receive(writer, "view:V1:h") is not None
    assert receive(writer, "view:V1:h") is None


def test_a_failed_write_is_raised_to_the_ack_that_waited(
    db_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer, _ = writer_for(db_url)

    def broken(*_: Any) -> dict[str, int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "receive_many", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        receive(writer, "view:V1:h")
    monkeypatch.undo()
    assert receive(writer, "view:V1:h") is not None  # the writer lives on


def test_each_form_is_told_its_own_row_when_some_keys_were_there_already(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    first = store.receive_many(engine, [row("view:V2:h")])
    told = store.receive_many(engine, [row(k) for k in
                                       ("view:V1:h", "view:V2:h", "view:V3:h", "view:V1:h")])
    told_again = store.receive_many(engine, [row("view:V4:h"), row("view:V5:h")])
    with sessions() as session:
        stored = {s.key: s.id for s in session.exec(select(Submission)).all()}
    assert first == {"view:V2:h": stored["view:V2:h"]}
    assert told == {"view:V1:h": stored["view:V1:h"], "view:V3:h": stored["view:V3:h"]}
    assert told_again == {"view:V4:h": stored["view:V4:h"], "view:V5:h": stored["view:V5:h"]}
    assert store.receive_many(engine, [row("view:V5:h")]) == {}


def row(key: str) -> dict[str, Any]:
    return {"key": key, "callback_id": "timeline.entry", "team_id": "T0001",
            "body": f'{{"k":"{key}"}}', "received_at": NOW}


def test_the_writers_kept_connection_outlives_a_server_that_dropped_it() -> None:
    """PostgreSQL: the writer keeps its connection between batches; one the server closed
    meanwhile (a restart, an idle timeout) is replaced, and the forms still go in."""
    from sqlalchemy import text

    from storage.db import HeldConnection
    from tests.conftest_pg import create_database, drop_database

    url = create_database()
    engine = make_engine(url)
    try:
        migrate(engine)
        held = HeldConnection(engine)
        (first_pid,), = held.execute("SELECT pg_backend_pid()", ()).rows
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        (second_pid,), = held.execute("SELECT pg_backend_pid()", ()).rows
        assert second_pid != first_pid
        row = {"key": "view:V1:h", "callback_id": "timeline.entry", "team_id": "T0001",
               "body": "{}", "received_at": NOW}
        assert set(store.receive_many(engine, [row], held)) == {"view:V1:h"}
        held.close()
    finally:
        engine.dispose()
        drop_database(url)
