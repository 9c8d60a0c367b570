"""POST /webhooks/jira: `jira:issue_updated` moving a filed action item's issue to Done.

Jira Cloud's admin webhooks do not sign; the shared JIRA_WEBHOOK_TOKEN goes in the URL
(`/webhooks/jira?token=…`) or the `X-Postmortem-Token` header (Automation "Send web request"),
compared in constant time. Status category `done` closes the item: done, or won't do when the
resolution says so (Won't Do, Duplicate, …). Other events and statuses answer 202.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.deps import Deps
from bot.http.webhooks.base import Answer, Rejected, Request, endpoint, obj, require, same, setting
from bot.http.wsgi import WsgiApp
from bot.integrations.jira import make_ref, state_of
from bot.jobs.trackers import close_from_webhook

TOKEN = "JIRA_WEBHOOK_TOKEN"


def build(deps: Deps, client: WebClient) -> WsgiApp:
    return endpoint("jira", [TOKEN], deps, lambda request: handle(deps, request))


def handle(deps: Deps, request: Request) -> Answer:
    given = request.query.get("token") or request.header("X-Postmortem-Token") or ""
    if not same(given, setting(deps, TOKEN) or ""):
        raise Rejected(401, "bad token")
    data = request.json()
    require(data, "webhookEvent")
    if data["webhookEvent"] != "jira:issue_updated":
        return 202, {"ignored": str(data["webhookEvent"])}
    issue = obj(data, "issue")
    require(issue, "key", where="issue")
    state = state_of(issue.get("fields") or {})
    if not state.closed:
        return 202, {"ignored": "status is not done"}
    # Jira keeps this header across retries of one delivery.
    delivery = request.header("X-Atlassian-Webhook-Identifier")
    key = f"webhook:jira:{delivery}" if delivery else None
    return close_from_webhook(
        deps, delivery_key=key, ref=make_ref(str(issue["key"])), status=state.status
    )
