"""The common path of every resolved-incident webhook: dedupe, decide, open or offer, post.

A required post-mortem with a known owner is opened at once (control message in the incident's
channel, else POSTMORTEM_INCIDENTS_CHANNEL). An optional one, or a required one nobody owns
yet, only stores the incident and posts an offer whose button opens it (bot/webhooks/offer.py):
an owner should be a person who chose it, never a placeholder account that gets the reminders.
The same incident twice (vendor retries, resolve → reopen → resolve) never opens two.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.http.webhooks.base import Answer, Rejected, setting
from bot.slack.messages import SlackPostFailed, create_postmortem, post_control_message
from flows.lifecycle import IncidentFacts, open_postmortem
from storage.db import session_scope
from storage.queries import keys, postmortems
from storage.tables import Incident, Postmortem, ProcessedKey, TimelineEntry

log = logging.getLogger(__name__)
T = TypeVar("T")

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
LABELS = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}


@dataclass(frozen=True)
class KnownEvent:
    """Something the incident tool already knows happened; becomes a timeline entry."""

    at: datetime
    text: str
    actor: str | None = None
    link: str | None = None


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


def handle_resolved(deps: Deps, client: WebClient, incoming: ResolvedIncident) -> Answer:
    """Open (201), offer (202) or recognise a duplicate (200) for one delivery."""
    facts = incoming.facts.validate()
    source, external_id = facts.source, facts.external_id or ""
    key = f"webhook:{source}:{incoming.delivery_id}"
    with session_scope(deps.sessions) as session:
        seen = session.get(ProcessedKey, key) is not None
        known = postmortems.find_incident_by_external(
            session, source=source, external_id=external_id
        )
        known_id = known.id if known else None
    if known_id is not None or seen:
        return _duplicate(deps, client, source, external_id)
    channel = facts.channel_id or deps.settings.incidents_channel
    if not channel:
        raise Rejected(503, "no channel: set POSTMORTEM_INCIDENTS_CHANNEL or send one")
    required, reason = requirement_of(deps, facts)
    owner = owner_for(deps, facts, incoming.owner_id)
    if not (required and owner):
        return _offer(deps, client, incoming, key, required=required, reason=reason)
    try:
        opened = create_postmortem(deps, replace(facts, channel_id=channel), owner_id=owner)
    except IntegrityError:
        # A concurrent delivery of the same incident won the race; anything else is ours.
        with session_scope(deps.sessions) as session:
            if not postmortems.find_incident_by_external(
                session, source=source, external_id=external_id
            ):
                raise
        return _duplicate(deps, client, source, external_id)
    pm_id = opened.postmortem.id
    assert pm_id is not None
    with session_scope(deps.sessions) as session:
        incident = postmortems.get_incident(session, incident_id=opened.postmortem.incident_id)
        incident.mitigated_at = incoming.mitigated_at
        if not facts.channel_id:
            # The incidents channel only hosts the thread; the incident had no channel of its own.
            incident.channel_id = None
        add_timeline(session, pm_id=pm_id, events=timeline_of(incoming), now=deps.now())
        keys.claim_key(session, key=key, now=deps.now())
    body = {"postmortem_id": pm_id, "reference": opened.incident.reference, "reason": reason}
    try:
        post_control_once(deps, client, pm_id)
    except SlackPostFailed as err:
        # 5xx so the tool retries; the retry is a duplicate, which posts what is missing.
        return 502, {**body, "error": str(err)}
    log.info("webhook %s %s opened post-mortem %s", source, external_id, pm_id)
    return 201, body


def owner_for(deps: Deps, facts: IncidentFacts, named: str | None) -> str | None:
    """The payload's Slack owner, else the service's on-call mapping, else the default owner."""
    if named and SLACK_USER.match(named):
        return named
    mapping = parse_mapping(setting(deps, "INCIDENT_WEBHOOK_OWNERS"))
    for service in facts.services:
        owner = mapping.get(service.strip().lower())
        if owner:
            return owner
    return setting(deps, "INCIDENT_WEBHOOK_DEFAULT_OWNER")


def parse_mapping(raw: str | None) -> dict[str, str]:
    """`checkout=U0ALICE, payments=U0BOB` → {"checkout": "U0ALICE", …} (keys lower-cased)."""
    pairs = (item.split("=", 1) for item in (raw or "").split(",") if "=" in item)
    return {k.strip().lower(): v.strip() for k, v in pairs if k.strip() and v.strip()}


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


def label_of(source: str) -> str:
    return LABELS.get(source, source)


def add_timeline(
    session: Session, *, pm_id: int, events: list[KnownEvent], now: datetime
) -> None:
    for number, event in enumerate(events, start=1):
        session.add(TimelineEntry(
            postmortem_id=pm_id, occurred_at=event.at, text=event.text[:4000],
            actor=(event.actor or "")[:255] or None, source="webhook",
            # Unique per post-mortem: the same delivery can never add its events twice.
            message_key=f"webhook:{number}", link=event.link, created_at=now,
        ))


def record_acknowledged(deps: Deps, *, source: str, external_id: str, at: datetime) -> None:
    """Remember an acknowledgement for the resolve that follows (tools omit it from resolves)."""
    with session_scope(deps.sessions) as session:
        keys.claim_key(session, key=f"ack:{source}:{external_id}:{at.isoformat()}",
                          now=deps.now())


def acknowledged_at(deps: Deps, *, source: str, external_id: str) -> datetime | None:
    """The first acknowledgement recorded for this incident, if any."""
    prefix = f"ack:{source}:{external_id}:"
    with session_scope(deps.sessions) as session:
        found = session.exec(
            select(ProcessedKey.key).where(col(ProcessedKey.key).startswith(prefix))
        ).all()
    times = [datetime.fromisoformat(k.removeprefix(prefix)) for k in found]
    return min(times, default=None)


def requirement_of(
    deps: Deps, facts: IncidentFacts, exclude_id: int | None = None
) -> tuple[bool, str]:
    """The policy's answer for these facts, as create_postmortem will compute it."""
    with session_scope(deps.sessions) as session:
        return requirement_in(session, deps, facts, exclude_id)


def requirement_in(
    session: Session, deps: Deps, facts: IncidentFacts, exclude_id: int | None = None
) -> tuple[bool, str]:
    """requirement_of inside the caller's transaction (SQLite allows one writer at a time)."""
    now = deps.now()
    resolved = facts.resolved_at or now
    impact = resolved - facts.started_at if facts.started_at else None
    repeated = postmortems.service_had_incident(
        session, services=facts.services,
        since=now - timedelta(days=deps.policy.conditional_repeat_days), exclude_id=exclude_id,
    )
    return deps.policy.requirement(facts.severity, impact, repeated)


def _offer(
    deps: Deps, client: WebClient, incoming: ResolvedIncident, key: str, *, required: bool,
    reason: str,
) -> Answer:
    from bot.slack.offer import post_offer

    facts, now = incoming.facts, deps.now()
    try:
        with session_scope(deps.sessions) as session:
            day = facts.started_at or facts.resolved_at or now
            start_of_day, _ = postmortems.day_bounds(day)
            # open_postmortem is pure: it builds the incident row with the same rules; only
            # the incident is kept until someone presses "Start post-mortem".
            incident = open_postmortem(
                facts, owner_id="", policy=deps.policy, now=now,
                sequence=postmortems.next_incident_sequence(session, day_start=start_of_day),
            ).incident
            incident.mitigated_at = incoming.mitigated_at
            session.add(incident)
            session.flush()
            incident_id, reference = incident.id, incident.reference
            keys.claim_key(session, key=key, now=now)
    except IntegrityError:
        return _duplicate(deps, client, facts.source, facts.external_id or "")
    assert incident_id is not None
    body = {"incident_id": incident_id, "reference": reference, "offered": True,
            "required": required, "reason": reason}
    try:
        post_offer(deps, client, incident_id, required=required, reason=reason)
    except SlackApiError as err:
        return 502, {**body, "error": f"Slack refused the offer: {err.response.get('error')}"}
    return 202, body


def _duplicate(deps: Deps, client: WebClient, source: str, external_id: str) -> Answer:
    """200 with what exists; posts a control message or offer an earlier attempt could not."""
    from bot.slack.offer import post_offer

    with session_scope(deps.sessions) as session:
        incident = postmortems.find_incident_by_external(
            session, source=source, external_id=external_id
        )
        pm: Postmortem | None = None
        if incident is not None and incident.id is not None:
            pm = postmortems.get_postmortem_for_incident(session, incident_id=incident.id)
    body: dict[str, object] = {"duplicate": True, "postmortem_id": pm.id if pm else None}
    try:
        if pm is not None and pm.id is not None and not pm.message_ts:
            post_control_once(deps, client, pm.id)
        elif (incident is not None and incident.id is not None and pm is None
              and not _with(deps, lambda s: keys.is_held(s, key=offered_key(incident.id)))):
            required, reason = requirement_of(deps, facts_of(incident), incident.id)
            post_offer(deps, client, incident.id, required=required, reason=reason)
    except (SlackPostFailed, SlackApiError) as err:
        return 502, {**body, "error": str(err)}
    return 200, body


def post_control_once(deps: Deps, client: WebClient, pm_id: int) -> None:
    """Post the control message unless a concurrent delivery is posting it right now."""
    key = f"control-post:{pm_id}"
    if not _with(deps, lambda s: keys.take_lease(s, key=key, now=deps.now())):
        return
    try:
        post_control_message(deps, client, pm_id)
    except SlackPostFailed:
        _with(deps, lambda s: keys.release_lease(s, key=key))
        raise


def offered_key(incident_id: int) -> str:
    """Kept once the offer is posted, so a redelivery never posts it again."""
    return f"offered:{incident_id}"


def facts_of(incident: Incident) -> IncidentFacts:
    return IncidentFacts(
        title=incident.title, severity=incident.severity, services=list(incident.services),
        channel_id=incident.channel_id, started_at=incident.started_at,
        detected_at=incident.detected_at, acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at, source=incident.source,
        external_id=incident.external_id, external_url=incident.external_url,
        reference=incident.reference,
    )


_PRIORITY = re.compile(r"^\s*(?:p|sev)[\s_-]*(\d)\s*$", re.IGNORECASE)


def priority_severity(name: str | None) -> int | None:
    """PagerDuty/Opsgenie priority → severity: P1–P4 → SEV1–SEV4, P5 → SEV4, P0/SEV0 → SEV0.

    Same number on purpose: flows/severity.py already reads P1 as SEV1. P5 (informational)
    has no level of its own and lands on the lowest. Unknown names → None (caller decides).
    """
    match = _PRIORITY.match(name or "")
    return min(int(match.group(1)), 4) if match else None


def _with(deps: Deps, work: Callable[[Session], T]) -> T:
    with session_scope(deps.sessions) as session:
        return work(session)
