"""Rows that belong to one post-mortem and are added and deleted one by one: timeline entries,
learnings, references, compliance ticks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.errors import NotFound
from storage.tables import ComplianceTick, TimelineEntry


class Part(Protocol):
    id: int | None
    postmortem_id: int


P = TypeVar("P", bound=Part)


def get_part(session: Session, model: type[P], *, pm_id: int, part_id: int, missing: str) -> P:
    """The row `part_id` of post-mortem `pm_id`; NotFound(`missing`) when it is gone (or
    belongs to another post-mortem: an id from one post-mortem never reaches another's)."""
    row = session.get(model, part_id)
    if row is None or row.postmortem_id != pm_id:
        raise NotFound(missing)
    return row


def add_parts(session: Session, rows: Sequence[P]) -> list[P]:
    """Insert rows and flush, so their ids are known in the caller's transaction."""
    session.add_all(rows)
    session.flush()
    return list(rows)


def add_unless_present(session: Session, row: P) -> bool:
    """Insert a row a unique constraint may refuse (a message already on the timeline): False
    then, and the caller's transaction is unharmed (the insert ran in a savepoint)."""
    savepoint = session.begin_nested()
    try:
        session.add(row)
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def delete_part(session: Session, row: Part) -> None:
    session.delete(row)
    session.flush()


def has_message(session: Session, *, pm_id: int, message_key: str) -> bool:
    """Is the Slack message `channel:ts` already on the post-mortem's timeline?"""
    stmt = select(TimelineEntry.id).where(
        TimelineEntry.postmortem_id == pm_id, TimelineEntry.message_key == message_key
    )
    return session.exec(stmt).first() is not None


def compliance_ticks(session: Session, *, pm_id: int) -> list[ComplianceTick]:
    stmt = (
        select(ComplianceTick)
        .where(ComplianceTick.postmortem_id == pm_id)
        .order_by(col(ComplianceTick.id))
    )
    return list(session.exec(stmt).all())
