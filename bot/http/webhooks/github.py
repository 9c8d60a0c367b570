"""POST /webhooks/github: an `issues` event closing a filed action item's issue.

Signed by GitHub with GITHUB_WEBHOOK_SECRET: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`
of the raw body. `closed` with state_reason `not_planned` marks the item won't do; any other
close marks it done. `ping` (sent when the hook is created) answers 200; other events 202.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.deps import Deps
from bot.http.webhooks.base import (
    Answer,
    Rejected,
    Request,
    endpoint,
    hmac_hex,
    obj,
    require,
    same,
    setting,
)
from bot.http.wsgi import WsgiApp
from bot.integrations.github import make_ref, state_of
from bot.jobs.trackers import close_from_webhook

SECRET = "GITHUB_WEBHOOK_SECRET"


def build(deps: Deps, client: WebClient) -> WsgiApp:
    return endpoint("github", [SECRET], deps, lambda request: handle(deps, request))


def handle(deps: Deps, request: Request) -> Answer:
    expected = "sha256=" + hmac_hex(setting(deps, SECRET) or "", request.body)
    if not same(request.header("X-Hub-Signature-256") or "", expected):
        raise Rejected(401, "bad signature")
    event = request.header("X-GitHub-Event") or ""
    data = request.json()
    if event == "ping":
        return 200, {"pong": True}
    if event != "issues":
        return 202, {"ignored": event or "no X-GitHub-Event"}
    require(data, "action")
    if data["action"] != "closed":
        return 202, {"ignored": f"issues.{data['action']}"}
    issue, repository = obj(data, "issue"), obj(data, "repository")
    require(issue, "number", where="issue")
    require(repository, "full_name", where="repository")
    delivery = request.header("X-GitHub-Delivery")
    key = f"webhook:github:{delivery}" if delivery else None
    return close_from_webhook(
        deps,
        delivery_key=key,
        ref=make_ref(str(repository["full_name"]), issue["number"]),
        status=state_of({**issue, "state": "closed"}).status,
    )
