"""The Bolt app: built by a function, never at import, so tests and the CLI choose its wiring.

Listeners run in the thread that answers Slack (`process_before_response`) and decide there
what must happen before the ack; everything else goes to the background pool
(bot/slack/router.py). One global middleware resolves each request's context."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.deps import Deps
from bot.slack import capture, commands, errors, offer, related
from bot.slack.home import listeners as home
from bot.slack.middleware import ResolveContext
from bot.slack.modals import (
    action_items,
    details,
    impact,
    learnings,
    meeting,
    more,
    references,
    saved_after_ack,
    start,
    timeline,
    whys,
)
from bot.slack.reminders import followups, nudges
from bot.slack.review import listeners as review
from bot.slack.router import Router
from bot.slack.trackers import listeners as trackers

log = logging.getLogger(__name__)
# Bolt names an app it is not given a name for after its caller's file, found by
# `inspect.stack()`: a walk over every loaded module's source, 60-95 ms of each start.
# Listeners' `logger` is named after it.
APP_NAME = "postmortem-bot"

SURFACES = (
    commands, start, details, timeline, capture, whys, impact, learnings, more, references,
    meeting, related, action_items, nudges, review, followups, offer, trackers, home,
)


def create_app(deps: Deps) -> App:
    settings = deps.settings
    settings.require_slack()
    if deps.installs is not None:
        # Many workspaces: Bolt runs the OAuth flow (/slack/install, /slack/oauth_redirect)
        # and authorizes each request with its workspace's installation.
        app = App(
            name=APP_NAME,
            client=deps.installs.oauth_client,
            signing_secret=settings.slack_signing_secret,
            oauth_settings=deps.installs.oauth_settings(),
            process_before_response=True,
            # The gate (bot/http/slack_gate.py) verified the signature of these exact bytes
            # before Bolt sees them; Socket Mode's requests are not signed.
            request_verification_enabled=False,
            logger=logging.getLogger("bolt"),
        )
    else:
        app = App(
            name=APP_NAME,
            client=deps.slack(),
            signing_secret=settings.slack_signing_secret,
            # auth.test would run at construction; Bolt checks the token on first use instead.
            token_verification_enabled=False,
            process_before_response=True,
            # The gate (bot/http/slack_gate.py) verified the signature of these exact bytes
            # before Bolt sees them; Socket Mode's requests are not signed.
            request_verification_enabled=False,
            logger=logging.getLogger("bolt"),
        )
    app.use(ResolveContext(deps))
    router = Router(app, deps)
    for surface in SURFACES:
        surface.register_listeners(router)
    for callback_id, form in saved_after_ack.FORMS.items():
        router.form(callback_id, form)
    router.mount()
    errors.register(app)
    return app
