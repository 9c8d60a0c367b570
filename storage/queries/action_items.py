"""Action items: one by id or by tracker issue, a post-mortem's numbers, an owner's open items
across post-mortems, items due in a window, items filed in a tracker and still open."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from storage.errors import NotFound
from storage.kinds import OPEN_ITEM_STATUSES
from storage.tables import ActionItem, Incident, Postmortem

OpenItem = tuple[ActionItem, Postmortem, Incident]


def get_item(session: Session, *, item_id: int) -> ActionItem:
    item = session.get(ActionItem, item_id)
    if item is None:
        raise NotFound("That action item no longer exists.")
    return item


def numbers_of(session: Session, *, pm_id: int) -> list[int]:
    """The AI-n numbers a post-mortem has used so far."""
    return list(session.exec(select(ActionItem.number).where(ActionItem.postmortem_id == pm_id)))


def insert_item(session: Session, item: ActionItem) -> None:
    """Insert in a savepoint: a clash on UNIQUE(postmortem_id, number) raises IntegrityError
    and leaves the caller's transaction usable for another try."""
    with session.begin_nested():
        session.add(item)
        session.flush()


def find_by_tracker_ref(session: Session, *, ref: str) -> ActionItem | None:
    return session.exec(select(ActionItem).where(ActionItem.tracker_ref == ref)).first()


def open_tracker_refs(session: Session) -> list[str]:
    """Issues of items still open, oldest item first: what a tracker poll asks about."""
    stmt = (
        select(ActionItem.tracker_ref)
        .where(
            col(ActionItem.status).in_(OPEN_ITEM_STATUSES),
            col(ActionItem.tracker_ref).is_not(None),
        )
        .order_by(col(ActionItem.id))
    )
    return [ref for ref in session.exec(stmt).all() if ref]


def open_items_of(session: Session, *, owner_id: str) -> list[OpenItem]:
    """The owner's open action items across post-mortems (ix_action_item_owner_status)."""
    stmt = (
        select(ActionItem, Postmortem, Incident)
        .join(Postmortem, col(Postmortem.id) == ActionItem.postmortem_id)
        .join(Incident, col(Incident.id) == Postmortem.incident_id)
        .where(ActionItem.owner_id == owner_id, col(ActionItem.status).in_(OPEN_ITEM_STATUSES))
    )
    return [(a, p, i) for a, p, i in session.exec(stmt).all()]


def has_open_items(session: Session, *, owner_id: str) -> bool:
    stmt = select(ActionItem.id).where(
        ActionItem.owner_id == owner_id, col(ActionItem.status).in_(OPEN_ITEM_STATUSES)
    ).limit(1)
    return session.exec(stmt).first() is not None


def items_due_between(
    session: Session, *, first: date, last: date, team_id: str | None = None
) -> list[OpenItem]:
    """Open items due in [first, last]; with `team_id`, only that workspace's."""
    stmt = _open_items(col(ActionItem.due_on) >= first, col(ActionItem.due_on) <= last)
    if team_id:
        stmt = stmt.where(Postmortem.team_id == team_id)
    return [(a, p, i) for a, p, i in session.exec(stmt).all()]


def overdue_items(session: Session, *, due_by: date) -> list[OpenItem]:
    """Open items due on `due_by` or earlier, oldest due date first."""
    stmt = _open_items(col(ActionItem.due_on) <= due_by, col(ActionItem.owner_id).is_not(None))
    return [(a, p, i) for a, p, i in session.exec(stmt).all()]


def _open_items(*where: Any) -> Any:
    """Open items with their post-mortem and incident, soonest due first."""
    return (
        select(ActionItem, Postmortem, Incident)
        .join(Postmortem, col(Postmortem.id) == ActionItem.postmortem_id)
        .join(Incident, col(Incident.id) == Postmortem.incident_id)
        .where(col(ActionItem.status).in_(OPEN_ITEM_STATUSES), *where)
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    )
