"""One place where failures inside listeners become something a user can read."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from flows.errors import FieldErrors, PostmortemError

log = logging.getLogger(__name__)


def register(app: App) -> None:
    @app.error
    def handle_error(
        error: Exception,
        body: dict[str, Any],
        client: WebClient,
        response: BoltResponse | None,
    ) -> BoltResponse | None:
        # `response` is None once the listener has acked: then only a message can reach the
        # user. Before the ack, we still own the HTTP answer.
        not_acked = response is not None
        if isinstance(error, PostmortemError):
            message = str(error)
        else:
            ref = uuid.uuid4().hex[:8]
            log.exception(
                "unexpected failure [%s] in %s", ref, body.get("type") or "command", exc_info=error
            )
            message = (
                f":warning: Something went wrong on my side (reference `{ref}`). "
                "Nothing you saved before was lost; please try again."
            )
        if not_acked and body.get("type") == "view_submission":
            # Keep the modal open with what the user typed, and say what went wrong in it.
            errors = (
                error.errors if isinstance(error, FieldErrors) else _at_first_input(body, message)
            )
            if errors:
                return BoltResponse(
                    status=200, body={"response_action": "errors", "errors": errors}
                )
        user_id = (body.get("user") or {}).get("id") or body.get("user_id")
        channel_id = (body.get("channel") or {}).get("id") or body.get("channel_id")
        if user_id:
            from bot.workflow import tell_user

            tell_user(client, user_id=user_id, channel_id=channel_id, text=message)
        return BoltResponse(status=200, body="") if not_acked else None


def _at_first_input(body: dict[str, Any], message: str) -> dict[str, str]:
    for block in (body.get("view") or {}).get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return {block["block_id"]: message[:2000]}
    return {}
