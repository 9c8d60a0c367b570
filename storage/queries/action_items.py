"""Action items across post-mortems: an owner's open items, items due in a window, numbering."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from storage.kinds import OPEN_ITEM_STATUSES
from storage.tables import ActionItem, Incident, Postmortem

OpenItem = tuple[ActionItem, Postmortem, Incident]


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


def items_due_between(session: Session, *, first: date, last: date) -> list[OpenItem]:
    """Open items due in [first, last]."""
    stmt = (
        select(ActionItem, Postmortem, Incident)
        .join(Postmortem, col(Postmortem.id) == ActionItem.postmortem_id)
        .join(Incident, col(Incident.id) == Postmortem.incident_id)
        .where(
            col(ActionItem.status).in_(OPEN_ITEM_STATUSES),
            col(ActionItem.due_on) >= first,
            col(ActionItem.due_on) <= last,
        )
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    )
    return [(a, p, i) for a, p, i in session.exec(stmt).all()]
