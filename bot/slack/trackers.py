"""Buttons that file action items in trackers: Create GitHub/Jira issue, and Retry."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.integrations.model import GITHUB, JIRA
from bot.integrations.push import PushResult, push_action_item, retry_push
from bot.slack.ids import Action
from bot.slack.messages import tell_user


def register(app: App, deps: Deps) -> None:
    def file_in(tracker: str) -> Any:
        def handle_push(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            user_id, channel_id, item_id = _who(body)
            result = push_action_item(
                deps, client, item_id, tracker, user_id=user_id, channel_id=channel_id
            )
            _answer(client, body, result)

        return handle_push

    app.action(Action.TRACKER_GITHUB)(file_in(GITHUB))
    app.action(Action.TRACKER_JIRA)(file_in(JIRA))

    @app.action(Action.TRACKER_RETRY)
    def handle_push_retry(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id, channel_id, item_id = _who(body)
        _answer(
            client, body, retry_push(deps, client, item_id, user_id=user_id, channel_id=channel_id)
        )


def _who(body: dict[str, Any]) -> tuple[str, str | None, int]:
    return (
        body["user"]["id"],
        (body.get("channel") or {}).get("id"),
        int(body["actions"][0]["value"]),
    )


def _answer(client: WebClient, body: dict[str, Any], result: PushResult) -> None:
    """Only the "already filed" case needs words here: success and failure are posted in the
    post-mortem's thread by push_action_item."""
    if result.already and result.url:
        user_id, channel_id, _ = _who(body)
        tell_user(
            client,
            user_id=user_id,
            channel_id=channel_id,
            text=f"This action item is already filed: {result.url}",
        )
