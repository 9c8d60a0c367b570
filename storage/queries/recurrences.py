"""Recurrences: a post-mortem's incident reported as having happened again, and the incident
a reporter names (by its reference or its link)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.tables import Incident, Recurrence


def add_recurrence(session: Session, row: Recurrence) -> Recurrence:
    session.add(row)
    session.flush()
    return row


def recurrences_of(session: Session, *, pm_id: int) -> list[Recurrence]:
    """The post-mortem's reported recurrences, oldest first."""
    stmt = select(Recurrence).where(Recurrence.postmortem_id == pm_id).order_by(
        col(Recurrence.reported_at), col(Recurrence.id)
    )
    return list(session.exec(stmt).all())


def find_incident(session: Session, *, named: str) -> Incident | None:
    """The incident whose reference (any case) or page link is `named`."""
    by_reference = select(Incident).where(func.lower(col(Incident.reference)) == named.lower())
    found = session.exec(by_reference).first()
    if found is None:
        found = session.exec(select(Incident).where(Incident.external_url == named)).first()
    return found


def recurred_as(session: Session, *, incident_id: int) -> set[int]:
    """The post-mortems this incident is already recorded as a recurrence of."""
    stmt = select(Recurrence.postmortem_id).where(Recurrence.incident_id == incident_id)
    return set(session.exec(stmt).all())
