"""Steps shared by listeners, webhooks and the CLI: open a post-mortem, post and refresh its
control message, note changes in its thread. Each opens its own short unit of work."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.slack import outbox
from bot.slack.control import build_control_message
from bot.slack.delivery import deliver_now
from flows import lifecycle
from flows.lifecycle import IncidentFacts, Opened
from storage.db import session_scope
from storage.queries import postmortems

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
    with session_scope(deps.sessions) as session:
        return lifecycle.create_postmortem(session, facts, owner_id=owner_id, team_id=team_id,
                                           actor_id=actor_id, policy=deps.policy,
                                           now=deps.now())


def post_control_message(deps: Deps, client: WebClient, pm_id: int) -> str:
    """Post the control message (its thread is the post-mortem's) and remember where it is.
    Exactly once: through the outbox, which keeps retrying a post Slack refused."""
    with session_scope(deps.sessions) as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        if not pm.channel_id:
            raise SlackPostFailed(pm_id, "no channel is set for this post-mortem")
        ids = outbox.post_control(session, pm, now=deps.now())
    report = deliver_now(deps, ids)
    if report.failed:
        code = report.failed[0].detail.removeprefix("slack: ")
        log.error("post-mortem %s: control message to %s failed: %s", pm_id, pm.channel_id, code)
        raise SlackPostFailed(pm_id, code)
    with session_scope(deps.sessions) as session:
        return str(postmortems.get_postmortem(session, pm_id=pm_id).message_ts)


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
