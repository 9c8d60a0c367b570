"""Group commit for the submission inbox: the forms of a burst written down together.

Each form saved after its ack (bot/slack/inbox.py) must be in the database before its ack.
Fifty of them at once, each in a transaction of its own, queue for SQLite's one writer (and
each one in line also waits for the interpreter before it lets the next one in): the last
ack waits for all of them. Here the request threads hand their row to one writer thread and
wait; it writes whatever has gathered in one INSERT that commits itself (storage/db.py
urgent_statement; on PostgreSQL on a connection it keeps while it has work), and wakes them.
"""

from __future__ import annotations

import queue
import threading
from datetime import datetime

from sqlalchemy import Engine

from storage.db import HeldConnection
from storage.queries import inbox as store

# A writer with nothing to do ends; the next submission starts another.
IDLE_SECONDS = 5.0
# Rows per INSERT: under SQLite's and PostgreSQL's limits on bound parameters.
MAX_BATCH = 200


class _Pending:
    """One form waiting for its write; `done` is held until the writer has answered it."""

    __slots__ = ("done", "error", "row", "submission_id")

    def __init__(self, row: dict[str, object]) -> None:
        self.row = row
        self.submission_id: int | None = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()


class InboxWriter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Lock-free hand-over: under a burst a request thread that lost the interpreter while
        # holding a shared lock kept every other one waiting behind it.
        self._waiting: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._starting = threading.Lock()
        self._writing = False

    def receive(self, *, key: str, callback_id: str, team_id: str | None, body: str,
                now: datetime) -> int | None:
        """Write one submission down; its id once committed, None when its key already was
        there (a double click). Raises what the write raised."""
        pending = _Pending({"key": key, "callback_id": callback_id, "team_id": team_id,
                            "body": body, "received_at": now})
        self._waiting.put(pending)
        # Read after the put: a writer seen here is one that will still find this form.
        if not self._writing:
            with self._starting:
                if not self._writing:
                    self._writing = True
                    threading.Thread(target=self._write, name="inbox-writer",
                                     daemon=True).start()
        pending.done.acquire()
        if pending.error is not None:
            raise pending.error
        return pending.submission_id

    def _write(self) -> None:
        held = HeldConnection(self._engine)  # PostgreSQL's: kept while this writer runs
        try:
            self._write_batches(held)
        finally:
            held.close()

    def _write_batches(self, held: HeldConnection) -> None:
        while True:
            try:
                batch = [self._waiting.get(timeout=IDLE_SECONDS)]
            except queue.Empty:
                with self._starting:
                    # Stop only with nothing queued: a form put before this check is seen
                    # here; one put after it finds `_writing` false and starts a writer.
                    self._writing = False
                    if self._waiting.empty():
                        return
                    self._writing = True
                continue
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                ids = store.receive_many(self._engine, [p.row for p in batch], held)
                for pending in batch:
                    # The first of a key in the batch has it; a second one is its double click.
                    pending.submission_id = ids.pop(str(pending.row["key"]), None)
            except Exception as error:
                for pending in batch:  # every ack waiting on this write hears of it
                    pending.error = error
            finally:
                for pending in batch:
                    pending.done.release()
