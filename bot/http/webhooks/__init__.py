"""HTTP webhooks: resolved incidents in (PagerDuty, Opsgenie, generic), tracker closures in.

Each is a WSGI app mounted by bot/web.py. One whose secret is not set answers 503: an
endpoint that anyone could post incidents to is worse than one that does not work yet.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.deps import Deps
from bot.http.webhooks import github, incident, jira, opsgenie, pagerduty
from bot.http.wsgi import WsgiApp


def build_webhooks(deps: Deps, client: WebClient) -> dict[str, WsgiApp]:
    return {
        "/webhooks/pagerduty": pagerduty.build(deps, client),
        "/webhooks/opsgenie": opsgenie.build(deps, client),
        "/webhooks/incident": incident.build(deps, client),
        "/webhooks/github": github.build(deps, client),
        "/webhooks/jira": jira.build(deps, client),
    }
