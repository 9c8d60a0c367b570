"""The one global middleware: every request's context resolved once, before any listener.

It reads who is asking and about which post-mortem into a `Ctx` (bot/slack/context.py), drops
Slack's redeliveries of events already handled, and sets the log context. Shapes were checked
before Bolt saw the request (bot/http/slack_gate.py), so what is read here is there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.deps import Deps
from bot.slack.context import Ctx
from bot.slack.meta import Meta
from bot.slack.values import as_id
from flows.errors import NotAllowed
from flows.permissions import OTHER_WORKSPACE, in_workspace
from storage.db import session_scope
from storage.queries import keys

# Payloads whose workspace the router checks (bot/slack/router.py), before the handler: for
# clicks and forms saved after their ack, after the ack, so that it reads nothing from the
# database; for other submissions before, so a refusal shows at the form.
CHECKED_BY_ROUTER = frozenset({"block_actions", "shortcut", "message_action", "event_callback",
                               "view_submission"})


class ResolveContext(Middleware):
    """A class, not a function: Bolt builds every argument a function middleware could take
    (a dozen payload lookups) on every request; this reads only the request."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body, context, deps = req.body, req.context, self._deps
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            # Slack redelivers events it thinks we missed; handle each event_id once.
            with session_scope(deps.sessions) as session:
                first = keys.claim_key(session, key=f"event:{event_id}", now=deps.now())
            if not first:
                return BoltResponse(status=200, body="")
        ctx = context_of(deps, body, bot_token=context.bot_token)
        context["ctx"] = ctx
        if body.get("type") not in CHECKED_BY_ROUTER:
            require_workspace(ctx)
        # Every listener talks to Slack through the bot's own client (bot/slack/client.py).
        context["client"] = ctx.client
        return next()

    @property
    def name(self) -> str:
        return "resolve_context"


def context_of(deps: Deps, body: dict[str, Any], bot_token: str | None = None) -> Ctx:
    """The request as listeners read it. `bot_token`: the workspace's token Bolt's OAuth
    authorization just found (and refreshed) for this request, serving many workspaces."""
    user = body.get("user") or {}
    event = body.get("event") or {}
    user_id = str(user.get("id") or body.get("user_id") or event.get("user") or "")
    team_id = (body.get("team") or {}).get("id") or body.get("team_id")
    channel = body.get("channel") or {}
    meta = Meta.load((body.get("view") or {}).get("private_metadata"))
    # A click or submission inside a modal names no channel: the modal remembers where its
    # user works (the incident channel), so a refusal is told there rather than in a DM.
    channel_id = (channel.get("id") if isinstance(channel, dict) else None) or body.get(
        "channel_id"
    ) or meta.channel_id
    actions = body.get("actions") or []
    action = dict(actions[0]) if actions else {}
    # Our client, not Bolt's per-request copy: the bot's retry policy, its counting, its guard.
    installs = deps.installs
    client = (installs.client_with(bot_token) if installs is not None and bot_token
              else deps.slack(team_id))
    ctx = Ctx(
        deps=deps, client=client, body=body, user_id=user_id, team_id=team_id,
        user_team_id=user.get("team_id") or team_id, channel_id=channel_id,
        trigger_id=body.get("trigger_id"), meta=meta, action=action,
    )
    ctx.pm_id = _pm_id(ctx)
    return ctx


def require_workspace(ctx: Ctx) -> None:
    """The request's workspace is the one place that decides whose post-mortems it reaches:
    the post-mortem a click or a form names must be of the workspace the request came from.

    A button value or a modal's metadata naming another workspace's post-mortem (forged, or
    from a stale message) is refused before its handler runs: nothing is read or changed, and
    the error path (bot/slack/errors.py) tells the user, at the form or privately."""
    if ctx.pm_id is None or not ctx.team_id:
        return
    named = ctx.named()
    if named is not None and not in_workspace(named[0], ctx.team_id):
        raise NotAllowed(OTHER_WORKSPACE)


def _pm_id(ctx: Ctx) -> int | None:
    """A button's value starts with the post-mortem id ("12" or "12:7"); a modal carries it
    in its metadata."""
    head = as_id(ctx.value.split(":", 1)[0])
    if head is not None and ctx.action.get("action_id", "").startswith("pm."):
        return head
    return as_id(ctx.meta.pm_id)
