"""Where failures become words for the user: the one error path of every listener.

A broken rule (`PostmortemError`) is shown in its own words: at the form's field when a modal
is waiting for its answer, else ephemerally where the user is. Anything else is logged with a
short reference the user can quote, and the user is told their saved work is safe.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.slack.context import Ctx, tell_user
from bot.slack.forms import at_inputs
from flows.errors import FieldErrors, PostmortemError

log = logging.getLogger(__name__)


def user_message(error: Exception, where: str) -> str:
    """A rule broken: its own words. Anything else: logged with a reference to quote."""
    if isinstance(error, PostmortemError):
        return str(error)
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected failure [%s] in %s", ref, where, exc_info=error)
    return (
        f":warning: Something went wrong on my side (reference `{ref}`). "
        "Nothing you saved before was lost; please try again."
    )


def tell(ctx: Ctx, error: Exception) -> None:
    """After the ack: the only way left to reach the user is a message."""
    where = ctx.action.get("action_id") or ctx.body.get("type") or "request"
    text = user_message(error, str(where))
    if ctx.user_id:
        tell_text(ctx, text)


def tell_text(ctx: Ctx, text: str) -> None:
    # A refusal inside a modal flow is told in the post-mortem's channel when we know it.
    tell_user(ctx.client, user_id=ctx.user_id, channel_id=ctx.channel_id, text=text)


def modal_errors(ctx: Ctx, error: Exception) -> dict[str, str]:
    """The `errors` answer for a submitted modal: at the fields, or at its first input."""
    if isinstance(error, FieldErrors):
        return at_inputs(ctx.view, error.errors)
    text = user_message(error, str(ctx.view.get("callback_id") or "view_submission"))
    for block in ctx.view.get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id"):
            return {block["block_id"]: text[:2000]}
    return {}


def register(app: App) -> None:
    @app.error
    def handle_error(
        error: Exception, body: dict[str, Any], context: BoltContext
    ) -> BoltResponse:
        # Listeners on the router handle their own failures; this is for the rest: a bug in
        # middleware, Bolt itself. The request still gets a clean answer.
        ctx: Ctx | None = context.get("ctx")
        if ctx is not None and body.get("type") == "view_submission":
            found = modal_errors(ctx, error)
            if found:
                return BoltResponse(status=200, body={"response_action": "errors",
                                                      "errors": found})
        if ctx is not None:
            tell(ctx, error)
        else:
            user_message(error, str(body.get("type") or "request"))
        return BoltResponse(status=200, body="")
