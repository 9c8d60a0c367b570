"""POST /webhooks/pagerduty: PagerDuty Webhooks v3, signed with PAGERDUTY_WEBHOOK_SECRET.

`X-PagerDuty-Signature` holds `v1=<hex HMAC-SHA256(secret, raw body)>`, comma-separated while
PagerDuty rotates secrets; any one match is enough.

- `incident.resolved` opens the post-mortem (or offers it; see bot/http/webhooks/intake.py).
- `incident.acknowledged` is remembered: the resolved payload does not say when, or whether,
  the incident was acknowledged, and the timeline wants it.
- Every other event type answers 202 {"ignored": event_type}.

Severity: the incident's priority P1–P4 → SEV1–SEV4, P5 → SEV4 (a priority named SEVn or P0 is
read as written). Without a priority (priorities are off in many accounts), urgency high → SEV2
and low → SEV3: high urgency pages someone, which the policy treats as a moderate incident.
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
    hmac_hex,
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

SOURCE = "pagerduty"
SECRET = "PAGERDUTY_WEBHOOK_SECRET"
URGENCY_SEVERITY = {"high": 2, "low": 3}


def build(deps: Deps, client: WebClient) -> WsgiApp:
    """`client` is not needed: what this endpoint owes Slack goes through the outbox."""
    return endpoint("pagerduty", [SECRET], deps, lambda request: handle(deps, request))


def handle(deps: Deps, request: Request) -> Answer:
    verify(request, setting(deps, SECRET) or "")
    event = obj(request.json(), "event")
    require(event, "id", "event_type", where="event")
    event_type = str(event["event_type"])
    if event_type not in ("incident.resolved", "incident.acknowledged"):
        return 202, {"ignored": event_type}
    data = obj(event, "data")
    require(data, "id", where="event.data")
    occurred_at = parse_time(event.get("occurred_at"), "event.occurred_at") or deps.now()
    if event_type == "incident.acknowledged":
        record_acknowledged(deps, source=SOURCE, external_id=str(data["id"]), at=occurred_at)
        return 202, {"recorded": event_type}
    require(data, "title", "created_at", where="event.data")
    return handle_resolved(deps, to_incident(deps, event, data, occurred_at))


def verify(request: Request, secret: str) -> None:
    header = request.header("X-PagerDuty-Signature") or ""
    expected = "v1=" + hmac_hex(secret, request.body)
    if not any(same(part.strip(), expected) for part in header.split(",") if part.strip()):
        raise Rejected(401, "bad signature")


def severity_of(data: dict[str, Any]) -> int:
    priority = data.get("priority") or {}
    level = priority_severity(priority.get("summary") if isinstance(priority, dict) else None)
    if level is not None:
        return level
    return URGENCY_SEVERITY.get(str(data.get("urgency") or "").lower(), 3)


def to_incident(
    deps: Deps, event: dict[str, Any], data: dict[str, Any], resolved_at: Any
) -> ResolvedIncident:
    external_id = str(data["id"])
    service = data.get("service") or {}
    agent = event.get("agent") or {}
    facts = IncidentFacts(
        title=str(data["title"])[:255],
        severity=severity_of(data),
        services=[str(service["summary"])] if service.get("summary") else [],
        started_at=parse_time(data.get("created_at"), "event.data.created_at"),
        acknowledged_at=acknowledged_at(deps, source=SOURCE, external_id=external_id),
        resolved_at=resolved_at,
        source=SOURCE,
        external_id=external_id,
        external_url=data.get("html_url"),
    )
    return ResolvedIncident(
        facts=facts, delivery_id=str(event["id"]), label="PagerDuty",
        resolved_by=agent.get("summary") if agent.get("type") == "user_reference" else None,
    )
