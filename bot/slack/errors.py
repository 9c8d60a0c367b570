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
        message = user_message(error, body)
        if not_acked and body.get("type") == "view_submission":
            # Keep the modal open with what the user typed, and say what went wrong in it.
            errors = (
                error.errors if isinstance(error, FieldErrors) else _at_first_input(body, message)
            )
            if errors:
                return BoltResponse(
                    status=200, body={"response_action": "errors", "errors": errors}
                )
        tell(client, body, message)
        return BoltResponse(status=200, body="") if not_acked else None


def guard_listeners(app: App) -> None:
    """Handle failures that happen after a listener has acked, inside the listener thread.

    Bolt's thread runner resets an already-sent ack when the listener then raises, and the
    HTTP answer turns into a 404 after 3 s (Slack shows the click as failed). Listeners ack
    first as a rule, so every registered listener gets this guard; an exception before the
    ack still goes to Bolt and the `@app.error` handler above.
    """
    for listener in app._listeners:  # pinned: slack-bolt < 2
        original = listener.ack_function
        wanted = list(listener.arg_names)
        listener.arg_names = list(dict.fromkeys([*wanted, "ack", "body", "client"]))

        def guarded(
            *, _original: Any = original, _wanted: list[str] = wanted, **kwargs: Any
        ) -> Any:
            try:
                return _original(**{name: kwargs[name] for name in _wanted})
            except Exception as error:
                if kwargs["ack"].response is None:
                    raise
                tell(kwargs["client"], kwargs["body"], user_message(error, kwargs["body"]))
                return None

        listener.ack_function = guarded


def user_message(error: Exception, body: dict[str, Any]) -> str:
    """A rule broken: its own words. Anything else: logged with a reference to quote."""
    if isinstance(error, PostmortemError):
        return str(error)
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected failure [%s] in %s", ref, body.get("type") or "command", exc_info=error)
    return (
        f":warning: Something went wrong on my side (reference `{ref}`). "
        "Nothing you saved before was lost; please try again."
    )


def tell(client: WebClient, body: dict[str, Any], message: str) -> None:
    from bot.slack.messages import tell_user

    user_id = (body.get("user") or {}).get("id") or body.get("user_id")
    channel_id = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if user_id:
        tell_user(client, user_id=user_id, channel_id=channel_id, text=message)


def _at_first_input(body: dict[str, Any], message: str) -> dict[str, str]:
    for block in (body.get("view") or {}).get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return {block["block_id"]: message[:2000]}
    return {}
