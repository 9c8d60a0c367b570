"""The "Start post-mortem" offer for a stored incident that has no post-mortem yet.

Optional incidents (and required ones with no configured owner) arrive through a webhook,
get an Incident row and this offer; whoever presses the button owns the post-mortem.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.deps import Deps
from bot.http.webhooks.intake import (
    KnownEvent,
    add_timeline,
    facts_of,
    label_of,
    milestones,
    offered_key,
    requirement_in,
)
from bot.slack import blocks as bk
from bot.slack.ids import Action
from bot.slack.messages import SlackPostFailed, post_control_message, tell_user
from flows.errors import InvalidState
from flows.lifecycle import open_postmortem
from flows.severity import severity_label
from storage.db import session_scope
from storage.queries import audit, keys, postmortems
from storage.tables import Incident

log = logging.getLogger(__name__)
T = TypeVar("T")


def register(app: App, deps: Deps) -> None:
    @app.action(Action.OFFER_START)
    def handle_offer_start(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        incident_id = int(body["actions"][0]["value"])
        user_id = body["user"]["id"]
        channel_id = (body.get("channel") or {}).get("id")
        message_ts = (body.get("message") or {}).get("ts")
        pm_id = open_for_incident(
            deps,
            incident_id,
            owner_id=user_id,
            team_id=(body.get("team") or {}).get("id"),
            fallback_channel=channel_id,
        )
        try:
            post_control_message(deps, client, pm_id)
        except SlackPostFailed as err:
            tell_user(client, user_id=user_id, channel_id=channel_id, text=str(err))
        if channel_id and message_ts:
            with session_scope(deps.sessions) as session:
                incident = postmortems.get_incident(session, incident_id=incident_id)
            try:
                client.chat_update(
                    channel=channel_id, ts=message_ts, **build_offer_taken(incident, user_id)
                )
            except SlackApiError as err:
                log.warning(
                    "offer %s: chat.update failed: %s", incident_id, err.response.get("error")
                )


def post_offer(
    deps: Deps, client: WebClient, incident_id: int, *, required: bool, reason: str
) -> None:
    """Post the offer in the incidents channel (else the incident's own); remember it was sent."""
    with session_scope(deps.sessions) as session:
        incident = postmortems.get_incident(session, incident_id=incident_id)
    channel = deps.settings.incidents_channel or incident.channel_id
    if not channel:
        log.warning("offer %s: no incidents channel and no incident channel", incident_id)
        return
    # The lease keeps two concurrent deliveries from posting it twice.
    lease = f"offer-post:{incident_id}"
    if not _with(deps, lambda s: keys.take_lease(s, key=lease, now=deps.now())):
        return
    try:
        client.chat_postMessage(channel=channel, **build_offer_message(incident, required, reason))
    except SlackApiError:
        _with(deps, lambda s: keys.release_lease(s, key=lease))
        raise
    with session_scope(deps.sessions) as session:
        keys.claim_key(session, key=offered_key(incident_id), now=deps.now())


def open_for_incident(
    deps: Deps,
    incident_id: int,
    *,
    owner_id: str,
    team_id: str | None,
    fallback_channel: str | None,
) -> int:
    """Open the post-mortem of a stored incident (one per incident); returns its id."""
    from flows.reminders.plan import plan_deadline
    from storage.queries.reminders import add_reminders

    now = deps.now()
    try:
        with session_scope(deps.sessions) as session:
            incident = postmortems.get_incident(session, incident_id=incident_id)
            existing = postmortems.get_postmortem_for_incident(session, incident_id=incident_id)
            if existing is not None:
                raise InvalidState(_already(existing.owner_id))
            facts = facts_of(incident)
            _, reason = requirement_in(session, deps, facts, incident_id)
            pm = open_postmortem(
                facts,
                owner_id=owner_id,
                policy=deps.policy,
                now=now,
                sequence=0,
                team_id=team_id,
            ).postmortem
            # Whoever chose to start it decided it is worth doing: hold it to the deadline.
            pm.required = True
            pm.incident_id = incident_id
            pm.channel_id = incident.channel_id or fallback_channel
            session.add(pm)
            session.flush()
            assert pm.id is not None
            audit.add_event(
                session,
                pm_id=pm.id,
                actor_id=owner_id,
                at=now,
                kind="created",
                summary=f"started the post-mortem from the incident offer ({reason})",
            )
            add_reminders(session, plan_deadline(pm, incident, deps.policy, now))
            add_timeline(session, pm_id=pm.id, events=_milestones(incident), now=now)
            return pm.id
    except IntegrityError as err:
        # Two people pressed the button at once: the other click opened it.
        with session_scope(deps.sessions) as session:
            other = postmortems.get_postmortem_for_incident(session, incident_id=incident_id)
        if other is None:
            raise
        raise InvalidState(_already(other.owner_id)) from err


def build_offer_message(incident: Incident, required: bool, reason: str) -> dict[str, Any]:
    """`text` and `blocks` offering to start the post-mortem of a resolved incident."""
    name = f"{incident.reference} “{incident.title}” ({severity_label(incident.severity)})"
    if required:
        lead = (
            f":rotating_light: {name} was resolved and needs a post-mortem ({reason}), "
            "but no owner is configured for it. Whoever starts it owns it."
        )
    else:
        lead = f":memo: {name} was resolved. A post-mortem is optional ({reason})."
    facts = [f"Source: {label_of(incident.source)}"]
    if incident.services:
        facts.append("Services: " + ", ".join(incident.services))
    if incident.external_url:
        facts.append(f"<{incident.external_url}|Open in {label_of(incident.source)}>")
    blocks = [
        bk.section(bk.escape(lead)),
        bk.context(bk.escape(" · ".join(facts[:2])) + (f" · {facts[2]}" if len(facts) > 2 else "")),
        bk.actions(
            [bk.button("Start post-mortem", Action.OFFER_START, str(incident.id), style="primary")]
        ),
    ]
    return {"text": bk.clip(lead, 3000), "blocks": blocks}


def build_offer_taken(incident: Incident, owner_id: str) -> dict[str, Any]:
    """The offer once taken: no button left to press twice."""
    text = (
        f":white_check_mark: <@{owner_id}> started the post-mortem for "
        f"{bk.escape(incident.reference)} “{bk.escape(incident.title)}”."
    )
    return {"text": text, "blocks": [bk.section(text)]}


def _already(owner_id: str) -> str:
    return f"This incident's post-mortem is already open; <@{owner_id}> owns it."


def _milestones(incident: Incident) -> list[KnownEvent]:
    return milestones(
        incident.title,
        label_of(incident.source),
        incident.external_url,
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
    )


def _with(deps: Deps, work: Callable[[Session], T]) -> T:
    with session_scope(deps.sessions) as session:
        return work(session)
