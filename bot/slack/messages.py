"""Steps shared by listeners, webhooks and the CLI: open a post-mortem, post and refresh its
control message, note changes in its thread. Each opens its own short unit of work."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.slack.control import build_control_message
from flows.lifecycle import IncidentFacts, Opened, open_postmortem
from storage.db import session_scope
from storage.queries import audit, postmortems

log = logging.getLogger(__name__)


class SlackPostFailed(Exception):
    """Slack refused a post; the post-mortem itself is saved."""

    def __init__(self, pm_id: int, error: str) -> None:
        super().__init__(f"post-mortem #{pm_id} is saved, but Slack refused the message: {error}")
        self.pm_id = pm_id
        self.error = error


def create_postmortem(
    deps: Deps,
    facts: IncidentFacts,
    *,
    owner_id: str,
    team_id: str | None = None,
    actor_id: str | None = None,
) -> Opened:
    """Incident, post-mortem, audit event and reminders, in one transaction."""
    from flows.reminders.plan import plan_deadline
    from storage.queries.reminders import add_reminders

    now = deps.now()
    with session_scope(deps.sessions) as session:
        day = facts.started_at or facts.resolved_at or now
        start_of_day, _ = postmortems.day_bounds(day)
        repeated = postmortems.service_had_incident(
            session,
            services=facts.services,
            since=now - timedelta(days=deps.policy.conditional_repeat_days),
        )
        opened = open_postmortem(
            facts,
            owner_id=owner_id,
            policy=deps.policy,
            now=now,
            sequence=postmortems.next_incident_sequence(session, day_start=start_of_day),
            repeated=repeated,
            team_id=team_id,
        )
        session.add(opened.incident)
        session.flush()
        assert opened.incident.id is not None
        opened.postmortem.incident_id = opened.incident.id
        session.add(opened.postmortem)
        session.flush()
        assert opened.postmortem.id is not None
        audit.add_event(
            session,
            pm_id=opened.postmortem.id,
            actor_id=actor_id or owner_id,
            at=now,
            kind="created",
            summary=f"opened the post-mortem ({opened.reason})",
        )
        add_reminders(session, plan_deadline(opened.postmortem, opened.incident, deps.policy, now))
    return opened


def post_control_message(deps: Deps, client: WebClient, pm_id: int) -> str:
    """Post the control message (its thread is the post-mortem's) and remember where it is."""
    with session_scope(deps.sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
    channel = record.postmortem.channel_id
    if not channel:
        raise SlackPostFailed(pm_id, "no channel is set for this post-mortem")
    message = build_control_message(record, deps.now())
    try:
        response = client.chat_postMessage(channel=channel, **message)
    except SlackApiError as err:
        code = str(err.response.get("error", err))
        log.error("post-mortem %s: chat.postMessage to %s failed: %s", pm_id, channel, code)
        raise SlackPostFailed(pm_id, code) from err
    ts = str(response["ts"])
    with session_scope(deps.sessions) as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        pm.channel_id = str(response.get("channel") or channel)
        pm.message_ts = ts
    return ts


def refresh_control_message(deps: Deps, client: WebClient, pm_id: int) -> None:
    """Update the control message in place; a Slack failure is logged, never raised."""
    with session_scope(deps.sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
    pm = record.postmortem
    if not (pm.channel_id and pm.message_ts):
        return
    try:
        client.chat_update(
            channel=pm.channel_id, ts=pm.message_ts, **build_control_message(record, deps.now())
        )
    except SlackApiError as err:
        log.error("post-mortem %s: chat.update failed: %s", pm_id, err.response.get("error"))


def note_in_thread(deps: Deps, client: WebClient, pm_id: int, text: str) -> None:
    """A thread reply under the control message recording a change."""
    with session_scope(deps.sessions) as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        channel, ts = pm.channel_id, pm.message_ts
    if not (channel and ts):
        return
    try:
        client.chat_postMessage(channel=channel, thread_ts=ts, text=text)
    except SlackApiError as err:
        log.error("post-mortem %s: thread note failed: %s", pm_id, err.response.get("error"))


def tell_user(client: WebClient, *, user_id: str, channel_id: str | None, text: str) -> None:
    """An ephemeral message where the user was working; a DM when that channel refuses us."""
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            return
        except SlackApiError as err:
            log.warning(
                "ephemeral to %s in %s failed: %s", user_id, channel_id, err.response.get("error")
            )
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as err:
        log.error("could not reach %s at all: %s", user_id, err.response.get("error"))
