""""It happened again": a post-mortem's incident recurred. The report is kept (who, when, the
new incident when named), answers the day-30 question when it came from it, and says whom to
tell: the thread, the new incident's own post-mortem, the owner's engineering manager. The
program's recurrence rate counts it (storage/queries/metrics.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from flows.changes import record_change
from flows.errors import FieldErrors
from flows.inputs import check_url
from flows.permissions import Actor, require_editor
from flows.policy import Policy
from flows.reminders.followup import answer_day30
from storage.queries import postmortems, recurrences
from storage.tables import Incident, Postmortem, Recurrence

NAMED_MAX = 255
FIELD = "incident"


@dataclass(frozen=True)
class NewIncident:
    """What the reporter named: an incident the bot knows, or a reference or a link."""

    incident: Incident | None
    reference: str | None
    url: str | None


@dataclass(frozen=True)
class Reported:
    recurrence: Recurrence
    postmortem: Postmortem
    incident: Incident
    # The new incident and its post-mortem, when the bot knows them.
    new_incident: Incident | None
    new_postmortem: Postmortem | None
    # The owner's engineering manager (policy team or role), to be told.
    manager_id: str | None
    closed: bool


def read_new_incident(session: Session, named: str | None) -> NewIncident:
    """An incident reference (INC-…) or a link to it; empty when the reporter does not know."""
    text = " ".join((named or "").split())
    if not text:
        return NewIncident(None, None, None)
    if len(text) > NAMED_MAX:
        raise FieldErrors({FIELD: f"Keep it under {NAMED_MAX} characters: a reference or a link."})
    url = check_url(text, FIELD) if text.lower().startswith(("http://", "https://")) else None
    found = recurrences.find_incident(session, named=text)
    return NewIncident(found, None if url or found else text, url)


def report_recurrence(
    session: Session, *, pm_id: int, actor: Actor, named: str | None, policy: Policy,
    now: datetime, reminder_id: int | None = None,
) -> Reported:
    """Record that the post-mortem's incident happened again; with `reminder_id` this is the
    answer to its day-30 question (which may close it, as any answer does)."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "report a recurrence", team_id=actor.team_id)
    incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    new = read_new_incident(session, named)
    if new.incident is not None and new.incident.id == incident.id:
        raise FieldErrors({FIELD: "That is this post-mortem's own incident: name the new one, "
                                  "or leave it empty."})
    row = recurrences.add_recurrence(session, Recurrence(
        postmortem_id=pm_id, team_id=pm.team_id, reported_by=actor.user_id, reported_at=now,
        incident_id=new.incident.id if new.incident else None, reference=new.reference,
        url=new.url,
    ))
    new_pm = None
    if new.incident is not None and new.incident.id is not None:
        new_pm = postmortems.get_postmortem_for_incident(session, incident_id=new.incident.id)
    named_as = new.incident.reference if new.incident else (new.reference or new.url)
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="recurrence",
                  summary="reported that the incident happened again"
                          + (f": {named_as}" if named_as else ""),
                  detail={"recurrence_id": row.id, "incident_id": row.incident_id,
                          "reference": row.reference, "url": row.url})
    closed = False
    if reminder_id is not None:
        closed = answer_day30(session, pm_id=pm_id, reminder_id=reminder_id, actor=actor,
                              recurred=True, now=now)
    manager = policy.manager_of(pm.owner_id)
    return Reported(row, pm, incident, new.incident, new_pm,
                    manager if manager != actor.user_id else None, closed)
