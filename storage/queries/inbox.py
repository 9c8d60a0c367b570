"""The submission inbox: forms written down before their ack and deleted by their save.

`receive_many` is the only database work on such a form's ack path: one INSERT of every
submission that arrived meanwhile, hand-written, ahead of the other writers (storage/db.py
urgent_statement), skipping a key already there (a double click).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, select, update
from sqlmodel import Session

from storage.db import HeldConnection, Written, urgent_statement
from storage.tables import Submission

INBOX: Table = Submission.__table__  # type: ignore[attr-defined]

# Unexpected failures (not a rule the form broke) before a submission is given up on: each
# sweep tries again, so a database that was briefly away costs nothing typed.
MAX_ATTEMPTS = 5


def receive_many(engine: Engine, rows: Sequence[dict[str, Any]],
                 held: HeldConnection | None = None) -> dict[str, int]:
    """Write submissions down in one statement (storage/inbox_writer.py gathers them); the id
    of each one written, by key. A key already there (a double click) is skipped, and so is
    the second of a key in `rows`. `held`: the writer's PostgreSQL connection."""
    firsts: dict[str, dict[str, Any]] = {}
    for row in rows:
        firsts.setdefault(str(row["key"]), row)
    unique = [{**row, "attempts": 0} for row in firsts.values()]
    stamp = INBOX.c.received_at.type.bind_processor(engine.dialect)
    params = tuple(stamp(row[c]) if c == "received_at" and stamp else row[c]
                   for row in unique for c in _COLUMNS)
    if engine.dialect.name == "postgresql":
        written = urgent_statement(
            engine, _insert(len(unique), "%s") + " RETURNING key, id", params, held)
        return {str(key): int(row_id) for key, row_id in written.rows}
    return _answer_sqlite(engine, unique, urgent_statement(engine, _insert(len(unique), "?"),
                                                           params))


# Hand-written, one statement for the whole batch: SQLAlchemy's compiled multi-row INSERT cost
# four times as much, on the path of every ack in a burst.
_COLUMNS = ("key", "callback_id", "team_id", "body", "received_at", "attempts")


def _insert(rows: int, mark: str) -> str:
    row = f"({', '.join(mark for _ in _COLUMNS)})"
    return (f"INSERT INTO submission ({', '.join(_COLUMNS)}) VALUES "
            f"{', '.join([row] * rows)} ON CONFLICT (key) DO NOTHING")


def _answer_sqlite(engine: Engine, unique: list[dict[str, Any]], written: Written
                   ) -> dict[str, int]:
    """The new ids without a query (RETURNING would step SQLite once per row, each step a
    wait for the interpreter). A statement is atomic and SQLite assigns each new row the
    next rowid: this statement's rows hold the `rowcount` ids up to the last one, in the
    order given."""
    count, last = written.rowcount, written.lastrowid
    if count <= 0 or last is None:
        return {}
    if count == len(unique):
        return {str(row["key"]): last - count + 1 + i for i, row in enumerate(unique)}
    # Some keys were there already (a double click): this statement's rows, by id.
    with engine.connect() as conn:
        found = conn.exec_driver_sql("SELECT key, id FROM submission WHERE id > ? AND id <= ?",
                                     (last - count, last))
        return {str(key): int(row_id) for key, row_id in found}


def settle(session: Session, *, submission_id: int) -> None:
    """In the save's own transaction: the submission is answered (saved, or refused)."""
    session.execute(delete(INBOX).where(INBOX.c.id == submission_id))


def count_failure(session: Session, *, submission_id: int) -> int:
    """One more unexpected failure; how many there have been."""
    stmt = (update(INBOX).where(INBOX.c.id == submission_id)
            .values(attempts=INBOX.c.attempts + 1).returning(INBOX.c.attempts))
    found = session.execute(stmt).scalar_one_or_none()
    return MAX_ATTEMPTS if found is None else int(found)


def unsaved(session: Session, *, received_before: datetime, limit: int = 100
            ) -> Sequence[Submission]:
    """Submissions still waiting for a save, oldest first, that may be tried again."""
    stmt = (select(Submission).where(Submission.attempts < MAX_ATTEMPTS,  # type: ignore[arg-type]
                                     Submission.received_at < received_before)  # type: ignore[arg-type]
            .order_by(Submission.received_at).limit(limit))  # type: ignore[arg-type]
    return session.scalars(stmt).all()
