"""`/postmortem start`: the modal that opens a post-mortem for a resolved incident."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import text, timestamp, view_values
from bot.slack.ids import Block, Callback
from bot.slack.messages import SlackPostFailed, create_postmortem, post_control_message, tell_user
from bot.slack.meta import Meta, meta_of
from flows.errors import FieldErrors
from flows.lifecycle import IncidentFacts
from flows.severity import LABELS, parse_severity
from storage.db import session_scope
from storage.queries import keys

log = logging.getLogger(__name__)

SEVERITY_CHOICES = [(f"SEV{n} / P{n} — {label}", f"SEV{n}") for n, label in LABELS.items()]


def build_start_modal(title: str, channel_id: str | None, now: datetime) -> dict[str, Any]:
    channel_select: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "value",
        "default_to_current_conversation": True,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id and channel_id.startswith(("C", "G")):
        channel_select["initial_conversation"] = channel_id
    form = [
        bk.text_input(
            Block.TITLE,
            "Incident title",
            initial=title,
            max_length=255,
            placeholder="Checkout API returned 500s",
        ),
        bk.select(Block.SEVERITY, "Severity", SEVERITY_CHOICES),
        bk.text_input(
            Block.SERVICES,
            "Services affected",
            optional=True,
            placeholder="payment-api, postgres",
            hint="Separate with commas.",
        ),
        bk.input_block(
            Block.CHANNEL,
            "Incident channel",
            channel_select,
            hint="The post-mortem's thread starts here.",
        ),
        bk.datetime_picker(Block.STARTED_AT, "Incident started", initial=now),
        bk.datetime_picker(Block.RESOLVED_AT, "Incident resolved", initial=now),
    ]
    return bk.modal(
        "Start a post-mortem",
        form,
        callback_id=Callback.START,
        submit="Start",
        private_metadata=Meta(channel_id=channel_id).dump(),
    )


def read_start_form(values: dict[str, Any]) -> IncidentFacts:
    """The form as incident facts; every problem is reported at its field at once."""
    errors: dict[str, str] = {}
    severity = 0
    try:
        severity = parse_severity(values.get(Block.SEVERITY) or "", Block.SEVERITY)
    except FieldErrors as err:
        errors.update(err.errors)
    times: dict[str, datetime | None] = {}
    for block in (Block.STARTED_AT, Block.RESOLVED_AT):
        try:
            times[block] = timestamp(values, block)
        except FieldErrors as err:
            errors.update(err.errors)
    if not values.get(Block.CHANNEL):
        errors[Block.CHANNEL] = "Pick the incident channel."
    facts = IncidentFacts(
        title=text(values, Block.TITLE),
        severity=severity,
        services=[s for s in text(values, Block.SERVICES).split(",") if s.strip()],
        channel_id=values.get(Block.CHANNEL),
        started_at=times.get(Block.STARTED_AT),
        resolved_at=times.get(Block.RESOLVED_AT),
    )
    try:
        facts.validate()
    except FieldErrors as err:
        mapping = {"title": Block.TITLE, "resolved_at": Block.RESOLVED_AT}
        errors.update({str(mapping.get(k, k)): v for k, v in err.errors.items()})
    if errors:
        raise FieldErrors(errors)
    return facts


def register(app: App, deps: Deps) -> None:
    @app.view(Callback.START)
    def handle_start_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        try:
            facts = read_start_form(view_values(view))
        except FieldErrors as err:
            ack(response_action="errors", errors=err.errors)
            return
        user_id = body["user"]["id"]
        # A double-clicked submit arrives twice with the same view id and hash.
        key = f"view:{view['id']}:{view.get('hash', '')}"
        with session_scope(deps.sessions) as session:
            first = keys.claim_key(session, key=key, now=deps.now())
        if not first:
            ack()
            return
        opened = create_postmortem(
            deps, facts, owner_id=user_id, team_id=(body.get("team") or {}).get("id")
        )
        ack()
        pm_id = opened.postmortem.id
        assert pm_id is not None
        try:
            post_control_message(deps, client, pm_id)
        except SlackPostFailed as err:
            tell_user(
                client,
                user_id=user_id,
                channel_id=meta_of(body).channel_id,
                text=(
                    f":warning: Post-mortem #{pm_id} for “{facts.title}” is saved, but I could "
                    f"not post in <#{facts.channel_id}>: `{err.error}`. Invite me to the channel "
                    f"(`/invite @postmortem-bot`) and run `/postmortem post {pm_id}`."
                ),
            )
