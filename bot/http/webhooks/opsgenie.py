"""POST /webhooks/opsgenie: an Opsgenie Webhook integration with a shared token.

Opsgenie does not sign webhooks; add the custom header `X-Postmortem-Token: <token>` to the
integration and set the same value as OPSGENIE_WEBHOOK_TOKEN (compared in constant time).

- action `Close` opens the post-mortem (or offers it; see bot/http/webhooks/intake.py).
- action `Acknowledge` is remembered for the timeline of the close that follows.
- every other action answers 202 {"ignored": action}.

Severity: alert.priority P1–P4 → SEV1–SEV4, P5 → SEV4; absent → P3 (Opsgenie's default).
`alert.details.channel` (a Slack channel id) hosts the post-mortem; `alert.details.service`
(comma-separated) names the services, else `alert.entity`.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.http.webhooks.base import (
    Answer,
    Rejected,
    Request,
    endpoint,
    obj,
    parse_time,
    require,
    same,
    setting,
)
from bot.http.webhooks.intake import (
    acknowledged_at,
    handle_resolved,
    priority_severity,
    record_acknowledged,
)
from bot.http.wsgi import WsgiApp
from flows.intake import ResolvedIncident
from flows.lifecycle import IncidentFacts

SOURCE = "opsgenie"
TOKEN = "OPSGENIE_WEBHOOK_TOKEN"
TOKEN_HEADER = "X-Postmortem-Token"


def build(deps: Deps, client: WebClient) -> WsgiApp:
    """`client` is not needed: what this endpoint owes Slack goes through the outbox."""
    return endpoint("opsgenie", [TOKEN], deps, lambda request: handle(deps, request))


def handle(deps: Deps, request: Request) -> Answer:
    if not same(request.header(TOKEN_HEADER) or "", setting(deps, TOKEN) or ""):
        raise Rejected(401, "bad token")
    data = request.json()
    require(data, "action")
    action = str(data["action"])
    if action not in ("Close", "Acknowledge"):
        return 202, {"ignored": action}
    alert = obj(data, "alert")
    require(alert, "alertId", where="alert")
    # updatedAt is the time of the change this delivery reports (in nanoseconds).
    changed_at = parse_time(alert.get("updatedAt"), "alert.updatedAt") or deps.now()
    if action == "Acknowledge":
        record_acknowledged(deps, source=SOURCE, external_id=str(alert["alertId"]), at=changed_at)
        return 202, {"recorded": action}
    require(alert, "message", "createdAt", where="alert")
    return handle_resolved(deps, to_incident(deps, alert, changed_at))


def to_incident(deps: Deps, alert: dict[str, Any], resolved_at: Any) -> ResolvedIncident:
    external_id = str(alert["alertId"])
    details = alert.get("details") if isinstance(alert.get("details"), dict) else {}
    services = [s.strip() for s in str(details.get("service") or "").split(",") if s.strip()]
    if not services and alert.get("entity"):
        services = [str(alert["entity"])]
    channel = str(details.get("channel") or "").strip() or None
    if channel and not channel.startswith(("C", "G")):
        raise Rejected(422, "alert.details.channel: give a Slack channel id (C…)")
    level = priority_severity(alert.get("priority"))
    facts = IncidentFacts(
        title=str(alert["message"])[:255],
        severity=3 if level is None else level,
        services=services,
        channel_id=channel,
        started_at=parse_time(alert.get("createdAt"), "alert.createdAt"),
        acknowledged_at=acknowledged_at(deps, source=SOURCE, external_id=external_id),
        resolved_at=resolved_at,
        source=SOURCE,
        external_id=external_id,
    )
    closer = alert.get("username")
    return ResolvedIncident(
        facts=facts, delivery_id=f"{external_id}:close:{alert.get('updatedAt')}",
        label="Opsgenie",
        resolved_by=str(closer) if closer and closer != "System" else None,
    )
