"""POST /webhooks/incident: the generic resolved-incident format (docs/webhooks.md).

For tools without an adapter of their own (Alertmanager via a relay, incident.io workflows,
homegrown tooling). Signed with INCIDENT_WEBHOOK_SECRET:
`X-Postmortem-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>` and
`X-Postmortem-Timestamp: <unix seconds>`, accepted within 5 minutes of our clock either way, so
a captured delivery cannot be replayed later. `X-Postmortem-Delivery` (optional) names the
delivery for dedupe; without it the body's hash does.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.http.webhooks.base import (
    Answer,
    Rejected,
    Request,
    endpoint,
    hmac_hex,
    parse_time,
    require,
    same,
    setting,
)
from bot.http.webhooks.intake import handle_resolved
from bot.http.wsgi import WsgiApp
from flows.intake import KnownEvent, ResolvedIncident
from flows.lifecycle import IncidentFacts
from flows.severity import parse_severity

SECRET = "INCIDENT_WEBHOOK_SECRET"
REPLAY_WINDOW = timedelta(minutes=5)
DEFAULT_SOURCE = "webhook"
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
MAX_EVENTS = 200


def build(deps: Deps, client: WebClient) -> WsgiApp:
    """`client` is not needed: what this endpoint owes Slack goes through the outbox."""
    return endpoint("incident", [SECRET], deps, lambda request: handle(deps, request))


def handle(deps: Deps, request: Request) -> Answer:
    verify(deps, request, setting(deps, SECRET) or "")
    data = request.json()
    require(data, "id", "status")
    if str(data["status"]).lower() != "resolved":
        return 202, {"ignored": str(data["status"])}
    require(data, "title", "severity", "started_at", "resolved_at")
    delivery = request.header("X-Postmortem-Delivery") or hashlib.sha256(request.body).hexdigest()
    return handle_resolved(deps, to_incident(data, delivery[:128]))


def verify(deps: Deps, request: Request, secret: str) -> None:
    stamp = (request.header("X-Postmortem-Timestamp") or "").strip()
    signature = (request.header("X-Postmortem-Signature") or "").strip()
    if not stamp.isdigit() or not signature:
        raise Rejected(401, "missing signature or timestamp")
    expected = "sha256=" + hmac_hex(secret, stamp.encode() + b"." + request.body)
    if not same(signature, expected):
        raise Rejected(401, "bad signature")
    sent_at = parse_time(int(stamp), "X-Postmortem-Timestamp")
    assert sent_at is not None
    if abs(deps.now() - sent_at) > REPLAY_WINDOW:
        raise Rejected(401, "stale timestamp: more than 5 minutes from our clock")


def to_incident(data: dict[str, Any], delivery: str) -> ResolvedIncident:
    source = str(data.get("source") or DEFAULT_SOURCE).strip().lower()
    if not _SOURCE.match(source):
        raise Rejected(422, "source: lower-case letters, digits, . _ - (at most 32)")
    channel = str(data.get("channel") or "").strip() or None
    if channel and not _CHANNEL.match(channel):
        raise Rejected(422, "channel: give a Slack channel id (C…)")
    raw_services = data.get("services") or []
    if isinstance(raw_services, str):
        raw_services = raw_services.split(",")
    if not isinstance(raw_services, list):
        raise Rejected(422, "services: a list of names")
    facts = IncidentFacts(
        title=str(data["title"])[:255],
        severity=parse_severity(data["severity"]),
        services=[str(s).strip() for s in raw_services if str(s).strip()],
        channel_id=channel,
        started_at=parse_time(data["started_at"], "started_at"),
        detected_at=parse_time(data.get("detected_at"), "detected_at"),
        acknowledged_at=parse_time(data.get("acknowledged_at"), "acknowledged_at"),
        resolved_at=parse_time(data["resolved_at"], "resolved_at"),
        source=source,
        external_id=str(data["id"])[:255],
        external_url=str(data["url"])[:1000] if data.get("url") else None,
    )
    return ResolvedIncident(
        facts=facts, delivery_id=delivery, label=str(data.get("source") or "webhook"),
        events=_events(data.get("events")),
        mitigated_at=parse_time(data.get("mitigated_at"), "mitigated_at"),
        resolved_by=str(data["resolved_by"]) if data.get("resolved_by") else None,
        owner_id=str(data["owner"]) if data.get("owner") else None,
    )


def _events(raw: Any) -> list[KnownEvent]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_EVENTS:
        raise Rejected(422, f"events: a list of at most {MAX_EVENTS} objects")
    events = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Rejected(422, f"events[{index}]: an object with at and text")
        require(item, "at", "text", where=f"events[{index}]")
        at = parse_time(item["at"], f"events[{index}].at")
        assert at is not None
        actor = str(item["actor"]) if item.get("actor") else None
        events.append(KnownEvent(at, str(item["text"]), actor, item.get("link")))
    return events
