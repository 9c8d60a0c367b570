"""One post-mortem as a self-contained JSON document, and back; deleting one with everything
that hangs off it.

The document holds every part the process keeps (incident, sections, timeline, 5 Whys,
factors, learnings, action items, references, compliance ticks, review decisions, rendered
documents, audit trail) and no database ids, so it imports into any database. Outbox rows are
not part of it: they are what the running bot still owes Slack, planned again as work goes on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, SQLModel, col, select

from storage.errors import PostmortemError
from storage.queries import postmortems
from storage.tables import (
    ActionItem,
    AuditEvent,
    ComplianceTick,
    ContributingFactor,
    Document,
    Incident,
    Learning,
    Postmortem,
    Reference,
    Reminder,
    ReviewDecision,
    TimelineEntry,
    Why,
)

FORMAT = "postmortem-bot/1"
# The parts, in the order they are written and read back (each row of a post-mortem).
PARTS: dict[str, type[SQLModel]] = {
    "timeline": TimelineEntry,
    "whys": Why,
    "contributing_factors": ContributingFactor,
    "learnings": Learning,
    "action_items": ActionItem,
    "references": Reference,
    "compliance_ticks": ComplianceTick,
    "review_decisions": ReviewDecision,
    "documents": Document,
    "audit": AuditEvent,
}
_IDS = {"id", "postmortem_id", "incident_id"}


def _dump(row: SQLModel) -> dict[str, Any]:
    return {k: v for k, v in row.model_dump(mode="json").items() if k not in _IDS}


def export_postmortem(session: Session, *, pm_id: int) -> dict[str, Any]:
    """Everything about post-mortem `pm_id`, ids left out."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    document: dict[str, Any] = {
        "format": FORMAT, "incident": _dump(incident), "postmortem": _dump(pm),
    }
    for name, model in PARTS.items():
        id_col = col(model.id)  # type: ignore[attr-defined]
        stmt = select(model).where(
            col(model.postmortem_id) == pm_id  # type: ignore[attr-defined]
        ).order_by(id_col)
        document[name] = [_dump(row) for row in session.exec(stmt).all()]
    return document


def import_postmortem(
    session: Session, document: dict[str, Any], *, team_id: str | None = None
) -> int:
    """A post-mortem from `export_postmortem`'s document, with new ids; returns its id.
    `team_id` moves it to another workspace. An incident already here is refused."""
    if document.get("format") != FORMAT:
        raise PostmortemError(f"Not a post-mortem export (expected format {FORMAT!r}).")
    incident = Incident.model_validate(document["incident"])
    if team_id:
        incident.team_id = team_id
    if postmortems.find_incident_by_reference(session, reference=incident.reference):
        raise PostmortemError(f"Incident {incident.reference} is already here.")
    session.add(incident)
    session.flush()
    pm = Postmortem.model_validate({**document["postmortem"], "incident_id": incident.id})
    if team_id:
        pm.team_id = team_id
    session.add(pm)
    session.flush()
    for name, model in PARTS.items():
        for row in document.get(name) or []:
            session.add(model.model_validate({**row, "postmortem_id": pm.id}))
    session.flush()
    assert pm.id is not None
    return pm.id


def delete_postmortem(session: Session, *, pm_id: int) -> str:
    """Post-mortem `pm_id`, every part of it, its outbox rows and its incident, gone.
    Returns the incident's reference."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    items = select(ActionItem.id).where(ActionItem.postmortem_id == pm_id)
    session.execute(delete(Reminder).where(
        (col(Reminder.postmortem_id) == pm_id) | col(Reminder.action_item_id).in_(items)
    ))
    for model in PARTS.values():
        session.execute(delete(model).where(
            col(model.postmortem_id) == pm_id  # type: ignore[attr-defined]
        ))
    session.delete(pm)
    session.flush()
    session.delete(incident)
    session.flush()
    return incident.reference
