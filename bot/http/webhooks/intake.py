"""The common path of every resolved-incident webhook: dedupe, decide, open or offer, post.

A required post-mortem with a known owner is opened at once (control message in the incident's
channel, else POSTMORTEM_INCIDENTS_CHANNEL). An optional one, or a required one nobody owns
yet, only stores the incident and posts an offer whose button opens it (bot/slack/offer.py):
an owner should be a person who chose it, never a placeholder account that gets the reminders.
The same incident twice (vendor retries, resolve → reopen → resolve) never opens two.

What is stored and what Slack is owed are written in one transaction (the outbox), then sent.
When Slack refuses, the answer is 502 so the tool retries; the retry is a duplicate, which
sends what is still owed — never a second copy.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.deps import Deps
from bot.http.webhooks.base import Answer, Rejected, setting
from bot.slack import outbox
from bot.slack.delivery import Report, deliver_now
from bot.slack.offer import offer_key, queue_offer
from flows import intake
from flows.intake import ResolvedIncident
from flows.lifecycle import IncidentFacts
from storage.db import session_scope
from storage.kinds import CONTROL
from storage.queries import incidents, keys, postmortems
from storage.queries.outbox import find_outbox, retry_outbox

log = logging.getLogger(__name__)

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


class _SeenDelivery(Exception):
    """A concurrent request recorded this delivery first."""


def handle_resolved(deps: Deps, incoming: ResolvedIncident) -> Answer:
    """Open (201), offer (202) or recognise a duplicate (200) for one delivery."""
    facts = incoming.facts.validate()
    source, external_id = facts.source, facts.external_id or ""
    key = f"webhook:{source}:{incoming.delivery_id}"
    with session_scope(deps.sessions) as session:
        seen = keys.is_held(session, key=key)
        known = postmortems.find_incident_by_external(
            session, source=source, external_id=external_id
        )
    if known is not None or seen:
        return _duplicate(deps, source, external_id)
    channel = facts.channel_id or deps.settings.incidents_channel
    if not channel:
        raise Rejected(503, "no channel: set POSTMORTEM_INCIDENTS_CHANNEL or send one")
    team = webhook_team(deps, source)
    with session_scope(deps.sessions) as session:
        required, reason = intake.requirement_in(session, facts, policy=deps.policy,
                                                 now=deps.now())
    owner = owner_for(deps, facts, incoming.owner_id)
    if not (required and owner):
        return _offer(deps, incoming, key, required=required, reason=reason, team=team)
    return _open(deps, incoming, key, owner=owner, channel=channel, reason=reason, team=team)


def webhook_team(deps: Deps, source: str) -> str | None:
    """The workspace a tool's incidents belong to: INCIDENT_WEBHOOK_TEAM_<SOURCE> (e.g.
    INCIDENT_WEBHOOK_TEAM_PAGERDUTY, INCIDENT_WEBHOOK_TEAM_INCIDENT_IO), else
    INCIDENT_WEBHOOK_TEAM. Serving many workspaces, an incident of no workspace would be
    nobody's: refused until one is set."""
    name = re.sub(r"[^A-Z0-9]+", "_", source.upper())
    team = setting(deps, f"INCIDENT_WEBHOOK_TEAM_{name}") or setting(
        deps, "INCIDENT_WEBHOOK_TEAM"
    )
    if team is None and deps.installs is not None:
        raise Rejected(503, "no workspace: set INCIDENT_WEBHOOK_TEAM (the Slack team id)")
    return team


def _open(
    deps: Deps, incoming: ResolvedIncident, key: str, *, owner: str, channel: str, reason: str,
    team: str | None,
) -> Answer:
    """Required and owned: the post-mortem, its timeline and its control message, at once."""
    source, external_id, now = incoming.facts.source, incoming.facts.external_id or "", deps.now()
    try:
        with session_scope(deps.sessions) as session:
            opened = intake.open_resolved(session, incoming, owner_id=owner, channel_id=channel,
                                          policy=deps.policy, now=now, team_id=team)
            if not keys.claim_key(session, key=key, now=now):
                raise _SeenDelivery
            ids = outbox.post_control(session, opened.postmortem, now=now)
            pm_id = opened.postmortem.id
            body = {"postmortem_id": pm_id, "reference": opened.incident.reference,
                    "reason": reason}
    except _SeenDelivery:
        return _duplicate(deps, source, external_id)
    except IntegrityError:
        # A concurrent delivery of the same incident won the race; anything else is ours.
        with session_scope(deps.sessions) as session:
            if not postmortems.find_incident_by_external(
                session, source=source, external_id=external_id
            ):
                raise
        return _duplicate(deps, source, external_id)
    refused = _refusal(deliver_now(deps, ids))
    if refused:
        # 5xx so the tool retries; the retry is a duplicate, which sends what is missing.
        return 502, {**body, "error": f"post-mortem #{pm_id} is saved, but Slack refused the "
                                      f"message: {refused}"}
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


def record_acknowledged(deps: Deps, *, source: str, external_id: str, at: datetime) -> None:
    """Remember an acknowledgement for the resolve that follows (tools omit it from resolves)."""
    with session_scope(deps.sessions) as session:
        incidents.record_acknowledgement(session, source=source, external_id=external_id,
                                         at=at, now=deps.now())


def acknowledged_at(deps: Deps, *, source: str, external_id: str) -> datetime | None:
    """The first acknowledgement recorded for this incident, if any."""
    with session_scope(deps.sessions) as session:
        return incidents.first_acknowledgement(session, source=source, external_id=external_id)


def _offer(
    deps: Deps, incoming: ResolvedIncident, key: str, *, required: bool, reason: str,
    team: str | None,
) -> Answer:
    facts, now = incoming.facts, deps.now()
    try:
        with session_scope(deps.sessions) as session:
            incident = intake.store_incident(session, incoming, policy=deps.policy, now=now,
                                             team_id=team)
            if not keys.claim_key(session, key=key, now=now):
                raise _SeenDelivery
            channel = deps.settings.incidents_channel or incident.channel_id
            ids = queue_offer(session, incident, channel=channel, required=required,
                              reason=reason, now=now)
            body = {"incident_id": incident.id, "reference": incident.reference,
                    "offered": True, "required": required, "reason": reason}
    except (IntegrityError, _SeenDelivery):
        return _duplicate(deps, facts.source, facts.external_id or "")
    refused = _refusal(deliver_now(deps, ids))
    if refused:
        return 502, {**body, "error": f"Slack refused the offer: {refused}"}
    return 202, body


def _duplicate(deps: Deps, source: str, external_id: str) -> Answer:
    """200 with what exists; sends the control message or offer an earlier attempt could not."""
    now = deps.now()
    with session_scope(deps.sessions) as session:
        incident = postmortems.find_incident_by_external(
            session, source=source, external_id=external_id
        )
        pm = None
        if incident is not None and incident.id is not None:
            pm = postmortems.get_postmortem_for_incident(session, incident_id=incident.id)
        ids: list[int] = []
        if pm is not None and pm.id is not None and not pm.message_ts:
            ids = retry_outbox(session, pm_id=pm.id, kinds=[CONTROL], now=now)
            if not find_outbox(session, pm_id=pm.id, kinds=[CONTROL]):
                ids = outbox.post_control(session, pm, now=now)
        elif (incident is not None and incident.id is not None and pm is None
              # Offers posted before the outbox left this key instead of an outbox row.
              and not keys.is_held(session, key=f"offered:{incident.id}")):
            required, reason = intake.requirement_in(
                session, intake.facts_of(incident), policy=deps.policy, now=now,
                exclude_id=incident.id,
            )
            channel = deps.settings.incidents_channel or incident.channel_id
            # Queued again only if it never was; re-armed if it still waits for a retry.
            ids = queue_offer(session, incident, channel=channel, required=required,
                              reason=reason, now=now)
            ids += retry_outbox(session, keys=[offer_key(incident.id)], now=now)
        body: dict[str, object] = {"duplicate": True, "postmortem_id": pm.id if pm else None}
    refused = _refusal(deliver_now(deps, ids))
    if refused:
        return 502, {**body, "error": f"Slack refused the message: {refused}"}
    return 200, body


def _refusal(report: Report) -> str | None:
    """Slack's error code when the delivery right after the commit failed (the row waits)."""
    return report.failed[0].detail.removeprefix("slack: ") if report.failed else None


def priority_severity(name: str | None) -> int | None:
    """PagerDuty/Opsgenie priority → severity: P1–P4 → SEV1–SEV4, P5 → SEV4, P0/SEV0 → SEV0.

    Same number on purpose: flows/severity.py already reads P1 as SEV1. P5 (informational)
    has no level of its own and lands on the lowest. Unknown names → None (caller decides).
    """
    match = _PRIORITY.match(name or "")
    return min(int(match.group(1)), 4) if match else None


_PRIORITY = re.compile(r"^\s*(?:p|sev)[\s_-]*(\d)\s*$", re.IGNORECASE)
