"""Opening a post-mortem and moving it through Draft → In review → Published → Closed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise

from sqlmodel import Session

from flows.errors import FieldErrors, InvalidState
from flows.policy import Policy
from flows.reminders.plan import plan_deadline
from storage.kinds import CLOSED, DRAFT, IN_REVIEW, PUBLISHED
from storage.queries import audit, postmortems
from storage.queries.reminders import add_reminders
from storage.tables import Incident, Postmortem

__all__ = ["CLOSED", "DRAFT", "IN_REVIEW", "PUBLISHED"]
STATUS_LABELS = {
    DRAFT: "Draft",
    IN_REVIEW: "In review",
    PUBLISHED: "Published",
    CLOSED: "Closed",
}
TITLE_MAX = 255


@dataclass(frozen=True)
class IncidentFacts:
    """What is known about an incident when its post-mortem opens."""

    title: str
    severity: int
    services: list[str] = field(default_factory=list)
    channel_id: str | None = None
    started_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    source: str = "slack"
    external_id: str | None = None
    external_url: str | None = None
    reference: str | None = None

    def validate(self) -> IncidentFacts:
        errors: dict[str, str] = {}
        if not self.title.strip():
            errors["title"] = "Give the incident a title."
        elif len(self.title) > TITLE_MAX:
            errors["title"] = f"Keep the title under {TITLE_MAX} characters."
        if self.started_at and self.resolved_at and self.resolved_at < self.started_at:
            errors["resolved_at"] = "Resolved must be after the incident started."
        order = [
            ("started_at", self.started_at),
            ("detected_at", self.detected_at),
            ("acknowledged_at", self.acknowledged_at),
        ]
        for (_, earlier), (name, later) in pairwise(order):
            if earlier and later and later < earlier:
                errors.setdefault(name, "This must not be before the previous milestone.")
        if errors:
            raise FieldErrors(errors)
        return self


def incident_reference(day: datetime, sequence: int) -> str:
    """INC-YYYY-MM-DD-NNN, as in the templates; `sequence` counts that day's incidents."""
    return f"INC-{day:%Y-%m-%d}-{sequence:03d}"


@dataclass(frozen=True)
class Opened:
    incident: Incident
    postmortem: Postmortem
    required: bool
    reason: str


def open_postmortem(
    facts: IncidentFacts,
    *,
    owner_id: str,
    policy: Policy,
    now: datetime,
    sequence: int,
    repeated: bool = False,
    team_id: str | None = None,
) -> Opened:
    """New incident and post-mortem rows, with the deadline the policy sets."""
    facts.validate()
    required, reason = requirement(facts, policy=policy, now=now, repeated=repeated)
    resolved = facts.resolved_at or now
    day = facts.started_at or resolved
    incident = Incident(
        reference=facts.reference or incident_reference(day, sequence),
        title=facts.title.strip(),
        severity=facts.severity,
        services=[s.strip() for s in facts.services if s.strip()],
        source=facts.source,
        external_id=facts.external_id,
        external_url=facts.external_url,
        team_id=team_id,
        channel_id=facts.channel_id,
        started_at=facts.started_at,
        detected_at=facts.detected_at,
        acknowledged_at=facts.acknowledged_at,
        resolved_at=facts.resolved_at,
        created_at=now,
    )
    postmortem = Postmortem(
        incident_id=0,
        team_id=team_id,
        owner_id=owner_id,
        facilitator_id=owner_id,
        required=required,
        template=None,
        channel_id=facts.channel_id,
        due_at=policy.deadline.due_at(resolved),
        created_at=now,
        updated_at=now,
    )
    return Opened(incident, postmortem, required, reason)


def requirement(
    facts: IncidentFacts, *, policy: Policy, now: datetime, repeated: bool
) -> tuple[bool, str]:
    """Does the policy require a post-mortem for these facts, and why (or why not)."""
    resolved = facts.resolved_at or now
    impact = resolved - facts.started_at if facts.started_at else None
    return policy.requirement(facts.severity, impact, repeated)


def repeated_service(
    session: Session, facts: IncidentFacts, *, policy: Policy, now: datetime,
    exclude_id: int | None = None,
) -> bool:
    """Did one of the incident's services have another incident lately (the repeat rule)?"""
    return postmortems.service_had_incident(
        session, services=facts.services,
        since=now - timedelta(days=policy.conditional_repeat_days), exclude_id=exclude_id,
    )


def create_postmortem(
    session: Session, facts: IncidentFacts, *, owner_id: str, policy: Policy, now: datetime,
    team_id: str | None = None, actor_id: str | None = None, incident: Incident | None = None,
) -> Opened:
    """Incident, post-mortem, audit event and deadline reminders, in the caller's transaction.

    With `incident` (stored earlier and offered by a webhook) only its post-mortem is opened,
    and it is required: the person who chose to start it decided it is worth doing.
    """
    sequence = 0
    if not facts.reference:
        day = facts.started_at or facts.resolved_at or now
        start_of_day, _ = postmortems.day_bounds(day)
        sequence = postmortems.next_incident_sequence(session, day_start=start_of_day)
    repeated = repeated_service(session, facts, policy=policy, now=now,
                                exclude_id=incident.id if incident else None)
    opened = open_postmortem(facts, owner_id=owner_id, policy=policy, now=now, sequence=sequence,
                             repeated=repeated, team_id=team_id)
    how = "opened the post-mortem"
    if incident is None:
        session.add(opened.incident)
        session.flush()
    else:
        opened = replace(opened, incident=incident, required=True)
        opened.postmortem.required = True
        how = "started the post-mortem from the incident offer"
    assert opened.incident.id is not None
    opened.postmortem.incident_id = opened.incident.id
    session.add(opened.postmortem)
    session.flush()
    assert opened.postmortem.id is not None
    audit.add_event(session, pm_id=opened.postmortem.id, actor_id=actor_id or owner_id, at=now,
                    kind="created", summary=f"{how} ({opened.reason})")
    add_reminders(session, plan_deadline(opened.postmortem, opened.incident, policy, now))
    return opened


def ensure_status(pm: Postmortem, *allowed: str) -> None:
    if pm.status not in allowed:
        wanted = " or ".join(STATUS_LABELS[s] for s in allowed)
        raise InvalidState(
            f"This post-mortem is {STATUS_LABELS.get(pm.status, pm.status)}; "
            f"that needs it to be {wanted}."
        )


def time_left(pm: Postmortem, now: datetime) -> timedelta | None:
    return pm.due_at - now if pm.due_at else None
