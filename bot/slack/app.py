"""The Bolt app: built by a function, never at import, so tests and the CLI choose its wiring."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.slack import commands, errors, capture
from bot.slack.reminders import followups, nudges
from bot.slack.review import listeners
from bot.deps import Deps, make_client
from bot.slack.modals import action_items, details, impact, learnings, start, timeline, whys
from bot.slack import trackers as tracker_actions
from bot.slack import offer
from storage import queries
from storage.db import session_scope

log = logging.getLogger(__name__)


def create_app(
    deps: Deps, client: WebClient | None = None, executor: Executor | None = None
) -> App:
    settings = deps.settings
    settings.require_slack()
    app = App(
        client=client or make_client(settings),
        signing_secret=settings.slack_signing_secret,
        # auth.test would run at construction; Bolt checks the token on first use instead.
        token_verification_enabled=False,
        # Listeners run after the ack on Bolt's thread pool: Slack gets its 3-second answer.
        process_before_response=False,
        logger=logging.getLogger("bolt"),
        listener_executor=executor,
    )
    app.middleware(_dedupe_events(deps))
    surfaces = (
        commands,
        start,
        details,
        timeline,
        capture,
        whys,
        impact,
        learnings,
        action_items,
        nudges,
        listeners,
        followups,
        offer,
        tracker_actions,
    )
    for surface in surfaces:
        surface.register(app, deps)
    errors.register(app)
    errors.guard_listeners(app)
    return app


def _dedupe_events(deps: Deps) -> Any:
    def dedupe(body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Slack redelivers events it thinks we missed; handle each event_id once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with session_scope(deps.sessions) as session:
                first = queries.claim_key(session, key=f"event:{event_id}", now=deps.now())
            if not first:
                return BoltResponse(status=200, body="")
        return next()

    return dedupe
