"""Group commit for the submission inbox: the forms of a burst written down together.

Each form saved after its ack (bot/slack/inbox.py) must be in the database before its ack.
Fifty of them at once, each in a transaction of its own, queue for SQLite's one writer (and
each one in line also waits for the interpreter before it lets the next one in): the last
ack waits for all of them. Here the request threads hand their row to one writer thread and
wait; it writes whatever has gathered in one INSERT, one commit, and wakes them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from storage.queries import inbox as store

# A writer with nothing to do ends; the next submission starts another.
IDLE_SECONDS = 5.0
# Rows per INSERT: under SQLite's and PostgreSQL's limits on bound parameters.
MAX_BATCH = 200


@dataclass
class _Pending:
    row: dict[str, object]
    done: threading.Event = field(default_factory=threading.Event)
    submission_id: int | None = None
    error: BaseException | None = None


class InboxWriter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._waiting: list[_Pending] = []
        self._arrived = threading.Condition()
        self._writing = False

    def receive(self, *, key: str, callback_id: str, team_id: str | None, body: str,
                now: datetime) -> int | None:
        """Write one submission down; its id once committed, None when its key already was
        there (a double click). Raises what the write raised."""
        pending = _Pending({"key": key, "callback_id": callback_id, "team_id": team_id,
                            "body": body, "received_at": now})
        with self._arrived:
            self._waiting.append(pending)
            if not self._writing:
                self._writing = True
                threading.Thread(target=self._write, name="inbox-writer", daemon=True).start()
            self._arrived.notify()
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.submission_id

    def _write(self) -> None:
        while True:
            with self._arrived:
                if not self._waiting:
                    self._arrived.wait(IDLE_SECONDS)
                if not self._waiting:
                    self._writing = False
                    return
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                ids = store.receive_many(self._engine, [p.row for p in batch])
                for pending in batch:
                    # The first of a key in the batch has it; a second one is its double click.
                    pending.submission_id = ids.pop(str(pending.row["key"]), None)
            except Exception as error:
                for pending in batch:  # every ack waiting on this write hears of it
                    pending.error = error
            finally:
                for pending in batch:
                    pending.done.set()
