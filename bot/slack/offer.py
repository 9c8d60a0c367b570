"""The "Start post-mortem" offer for a stored incident that has no post-mortem yet.

Optional incidents (and required ones with no configured owner) arrive through a webhook,
get an Incident row and this offer; whoever presses the button owns the post-mortem.
The offer goes out through the outbox under a key naming the incident, so a redelivered
webhook never posts it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.slack import blocks as bk
from bot.slack import outbox
from bot.slack.context import Ctx
from bot.slack.ids import Action
from bot.slack.router import Router
from bot.slack.values import as_id
from flows import intake
from flows.errors import PostmortemError
from flows.severity import severity_label
from storage.queries import postmortems
from storage.tables import Incident

log = logging.getLogger(__name__)


def register_listeners(router: Router) -> None:
    router.action(Action.OFFER_START)(start_from_offer)


def start_from_offer(ctx: Ctx) -> None:
    incident_id = as_id(ctx.value)
    if incident_id is None:
        raise PostmortemError("This offer names no incident.")
    try:
        with ctx.unit() as session:
            opened = intake.open_from_offer(
                session, incident_id=incident_id, actor=ctx.actor, team_id=ctx.team_id,
                fallback_channel=ctx.channel_id, policy=ctx.deps.policy, now=ctx.now(),
            )
            ctx.queue(outbox.post_control(session, opened.postmortem, now=ctx.now()))
    except IntegrityError as err:
        # Two people pressed the button at once: the other click opened it.
        with ctx.read() as session:
            other = postmortems.get_postmortem_for_incident(session, incident_id=incident_id)
        if other is None:
            raise
        raise intake.already_open(other.owner_id) from err
    message_ts = (ctx.body.get("message") or {}).get("ts")
    if ctx.channel_id and message_ts:
        # The offer itself, answered in place: no button left to press twice.
        try:
            ctx.client.chat_update(channel=ctx.channel_id, ts=message_ts,
                                   **build_offer_taken(opened.incident, ctx.user_id))
        except SlackApiError as err:
            log.warning("offer %s: chat.update failed: %s", incident_id, err.response.get("error"))


def offer_key(incident_id: int) -> str:
    """The offer's outbox key: one offer per incident, however often its webhook arrives."""
    return f"offer:{incident_id}"


def queue_offer(
    session: Session, incident: Incident, *, channel: str | None, required: bool, reason: str,
    now: datetime,
) -> list[int]:
    """The offer in `channel` (the incidents channel, else the incident's), once."""
    assert incident.id is not None
    if not channel:
        log.warning("offer %s: no incidents channel and no incident channel", incident.id)
        return []
    return outbox.post(session, channel=channel, now=now, key=offer_key(incident.id),
                       message=build_offer_message(incident, required, reason),
                       team_id=incident.team_id)


def build_offer_message(incident: Incident, required: bool, reason: str) -> dict[str, Any]:
    """`text` and `blocks` offering to start the post-mortem of a resolved incident."""
    name = (f"{bk.escape(incident.reference)} “{bk.escape(incident.title)}” "
            f"({severity_label(incident.severity)})")
    if required:
        lead = (
            f":rotating_light: {name} was resolved and needs a post-mortem "
            f"({bk.escape(reason)}), but no owner is configured for it. Whoever starts it owns it."
        )
    else:
        lead = f":memo: {name} was resolved. A post-mortem is optional ({bk.escape(reason)})."
    label = bk.escape(intake.label_of(incident.source))
    facts = [f"Source: {label}"]
    if incident.services:
        facts.append("Services: " + bk.escape(", ".join(incident.services)))
    if incident.external_url:
        facts.append(f"<{bk.escape(incident.external_url)}|Open in {label}>")
    blocks = [
        bk.section(lead),
        bk.context(" · ".join(facts)),
        bk.actions(
            [bk.button("Start post-mortem", Action.OFFER_START, str(incident.id), style="primary")]
        ),
    ]
    return {"text": bk.clip(lead, 3000), "blocks": blocks}


def build_offer_taken(incident: Incident, owner_id: str) -> dict[str, Any]:
    """The offer once taken."""
    text = (
        f":white_check_mark: {bk.user(owner_id)} started the post-mortem for "
        f"{bk.escape(incident.reference)} “{bk.escape(incident.title)}”."
    )
    return {"text": text, "blocks": [bk.section(text)]}
