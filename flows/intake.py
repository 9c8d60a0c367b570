"""Incidents that incident tools report resolved: their facts, their milestones as timeline
events, whether they need a post-mortem, and opening it — at once when it is required and has
an owner, else from the offer's "Start post-mortem" button, by whoever presses it.

The webhooks (bot/http/webhooks/) read the tools' payloads into a `ResolvedIncident`; the
offer (bot/slack/offer.py) posts the button. Both open post-mortems here, with
`flows.lifecycle.create_postmortem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session

from flows.errors import InvalidState, NotAllowed
from flows.lifecycle import (
    IncidentFacts,
    Opened,
    create_postmortem,
    open_postmortem,
    repeated_service,
    requirement,
)
from flows.permissions import Actor
from flows.policy import Policy
from storage.queries import postmortems
from storage.tables import Incident, TimelineEntry

LABELS = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}
TEXT_MAX, ACTOR_MAX = 4000, 255


@dataclass(frozen=True)
class KnownEvent:
    """Something the incident tool already knows happened; becomes a timeline entry."""

    at: datetime
    text: str
    actor: str | None = None
    link: str | None = None


def label_of(source: str) -> str:
    return LABELS.get(source, source)


@dataclass(frozen=True)
class ResolvedIncident:
    """A resolved incident as one webhook delivered it, in our terms."""

    facts: IncidentFacts
    delivery_id: str
    label: str  # "PagerDuty", as people call the tool in timeline text
    events: list[KnownEvent] = field(default_factory=list)
    mitigated_at: datetime | None = None
    resolved_by: str | None = None
    owner_id: str | None = None


def milestones(
    title: str, label: str, link: str | None, *, started_at: datetime | None,
    detected_at: datetime | None, acknowledged_at: datetime | None,
    mitigated_at: datetime | None, resolved_at: datetime | None, resolved_by: str | None = None,
) -> list[KnownEvent]:
    """The incident's milestones as timeline events, attributed to the tool that saw them."""
    resolved = f"Resolved in {label}" + (f" by {resolved_by}" if resolved_by else "")
    pairs = [
        (started_at, f"Incident started ({label}): {title}"),
        (detected_at, f"Detected ({label})"),
        (acknowledged_at, f"Acknowledged in {label}"),
        (mitigated_at, f"Mitigated ({label})"),
        (resolved_at, resolved),
    ]
    return [KnownEvent(at, text, label, link) for at, text in pairs if at]


def timeline_of(incoming: ResolvedIncident) -> list[KnownEvent]:
    """Milestones the tool knows, then its own events, in time order."""
    f = incoming.facts
    known = milestones(
        f.title, incoming.label, f.external_url, started_at=f.started_at,
        detected_at=f.detected_at, acknowledged_at=f.acknowledged_at,
        mitigated_at=incoming.mitigated_at, resolved_at=f.resolved_at,
        resolved_by=incoming.resolved_by,
    )
    return sorted(known + list(incoming.events), key=lambda e: e.at)


def incident_milestones(incident: Incident) -> list[KnownEvent]:
    """A stored incident's milestones (the offer keeps them on the incident until started)."""
    return milestones(
        incident.title, label_of(incident.source), incident.external_url,
        started_at=incident.started_at, detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at, mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
    )


def add_timeline(
    session: Session, *, pm_id: int, events: list[KnownEvent], now: datetime
) -> None:
    for number, event in enumerate(events, start=1):
        session.add(TimelineEntry(
            postmortem_id=pm_id, occurred_at=event.at, text=event.text[:TEXT_MAX],
            actor=(event.actor or "")[:ACTOR_MAX] or None, source="webhook",
            # Unique per post-mortem: the same delivery can never add its events twice.
            message_key=f"webhook:{number}", link=event.link, created_at=now,
        ))


def facts_of(incident: Incident) -> IncidentFacts:
    return IncidentFacts(
        title=incident.title, severity=incident.severity, services=list(incident.services),
        channel_id=incident.channel_id, started_at=incident.started_at,
        detected_at=incident.detected_at, acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at, source=incident.source,
        external_id=incident.external_id, external_url=incident.external_url,
        reference=incident.reference,
    )


def requirement_in(
    session: Session, facts: IncidentFacts, *, policy: Policy, now: datetime,
    exclude_id: int | None = None,
) -> tuple[bool, str]:
    """The policy's answer for these facts, as `create_postmortem` will compute it."""
    repeated = repeated_service(session, facts, policy=policy, now=now, exclude_id=exclude_id)
    return requirement(facts, policy=policy, now=now, repeated=repeated)


def open_resolved(
    session: Session, incoming: ResolvedIncident, *, owner_id: str, channel_id: str,
    policy: Policy, now: datetime, team_id: str | None = None,
) -> Opened:
    """A required post-mortem with a known owner, opened at once with the tool's timeline.
    Its control message goes to `channel_id` (the incident's, else the incidents channel)."""
    facts = incoming.facts
    opened = create_postmortem(session, replace(facts, channel_id=channel_id),
                               owner_id=owner_id, policy=policy, now=now, team_id=team_id)
    opened.incident.mitigated_at = incoming.mitigated_at
    if not facts.channel_id:
        # The incidents channel only hosts the thread; the incident had no channel of its own.
        opened.incident.channel_id = None
    session.add(opened.incident)
    assert opened.postmortem.id is not None
    add_timeline(session, pm_id=opened.postmortem.id, events=timeline_of(incoming), now=now)
    return opened


def store_incident(
    session: Session, incoming: ResolvedIncident, *, policy: Policy, now: datetime,
    team_id: str | None = None,
) -> Incident:
    """Only the incident, kept until someone presses "Start post-mortem" on its offer."""
    facts = incoming.facts
    day = facts.started_at or facts.resolved_at or now
    start_of_day, _ = postmortems.day_bounds(day)
    # open_postmortem is pure: it builds the incident row by the same rules.
    incident = open_postmortem(
        facts, owner_id="", policy=policy, now=now,
        sequence=postmortems.next_incident_sequence(session, day_start=start_of_day),
        team_id=team_id,
    ).incident
    incident.mitigated_at = incoming.mitigated_at
    session.add(incident)
    session.flush()
    return incident


def open_from_offer(
    session: Session, *, incident_id: int, actor: Actor, team_id: str | None,
    fallback_channel: str | None, policy: Policy, now: datetime,
) -> Opened:
    """The offer's button: the post-mortem of a stored incident (one per incident), owned
    by whoever pressed it, with the incident's milestones on its timeline."""
    if team_id and actor.team_id and actor.team_id != team_id:
        raise NotAllowed("Only members of this workspace can start its post-mortems.")
    incident = postmortems.get_incident(session, incident_id=incident_id)
    if incident.team_id and team_id and incident.team_id != team_id:
        raise NotAllowed("This incident was reported to another workspace.")
    existing = postmortems.get_postmortem_for_incident(session, incident_id=incident_id)
    if existing is not None:
        raise already_open(existing.owner_id)
    facts = replace(facts_of(incident), channel_id=incident.channel_id or fallback_channel)
    opened = create_postmortem(session, facts, owner_id=actor.user_id, policy=policy, now=now,
                               team_id=team_id, incident=incident)
    assert opened.postmortem.id is not None
    add_timeline(session, pm_id=opened.postmortem.id, events=incident_milestones(incident),
                 now=now)
    return opened


def already_open(owner_id: str) -> InvalidState:
    return InvalidState(f"This incident's post-mortem is already open; <@{owner_id}> owns it.")
