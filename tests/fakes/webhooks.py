"""Senders that deliver webhooks to the bot as each tool does, and their documented payloads.

Payload shapes follow the vendors' published examples: PagerDuty Webhooks v3 (`event` with
`data` of type incident), Opsgenie's Webhook integration (`action` + `alert`), GitHub's
`issues` event and Jira's `jira:issue_updated`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from typing import Any

from slack_emulator.signing import Response

PD_SECRET = "pd-webhook-secret"
OG_TOKEN = "opsgenie-shared-token"
INCIDENT_SECRET = "incident-webhook-secret"
GH_SECRET = "github-webhook-secret"
JIRA_TOKEN = "jira-webhook-token"


def post(base_url: str, path: str, body: bytes | str, headers: dict[str, str]) -> Response:
    raw = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(
        base_url.rstrip("/") + path, data=raw, method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as resp:
            return Response(resp.status, resp.read(), dict(resp.headers.items()))
    except urllib.error.HTTPError as err:
        return Response(err.code, err.read(), dict(err.headers.items()))


def dumps(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# ---- PagerDuty ---------------------------------------------------------------------------
def pd_headers(body: bytes, secret: str = PD_SECRET, rotated: bool = False) -> dict[str, str]:
    signature = f"v1={hex_hmac(secret, body)}"
    if rotated:
        # During a secret rotation PagerDuty sends one signature per secret.
        signature = f"v1={hex_hmac('old-secret', body)},{signature}"
    return {"X-PagerDuty-Signature": signature, "X-Webhook-Id": str(uuid.uuid4()),
            "User-Agent": "PagerDuty-Webhook/V3.0"}


def pd_event(
    event_type: str = "incident.resolved", *, incident_id: str = "Q3X7P9J2K1LMNO",
    priority: str | None = "P1", urgency: str = "high", event_id: str | None = None,
    occurred_at: str = "2026-11-22T08:40:00.000Z", title: str = "Checkout API 5xx above 5%",
) -> dict[str, Any]:
    status = {"incident.resolved": "resolved", "incident.acknowledged": "acknowledged"}.get(
        event_type, "triggered")
    return {"event": {
        "id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": occurred_at,
        "agent": {"html_url": "https://acme.pagerduty.com/users/PLH1HKV", "id": "PLH1HKV",
                  "self": "https://api.pagerduty.com/users/PLH1HKV",
                  "summary": "Alice Oncall", "type": "user_reference"},
        "client": None,
        "data": {
            "id": incident_id, "type": "incident",
            "self": f"https://api.pagerduty.com/incidents/{incident_id}",
            "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
            "number": 4242, "status": status, "incident_key": "checkout-5xx",
            "created_at": "2026-11-22T07:55:00Z", "title": title,
            "service": {"html_url": "https://acme.pagerduty.com/services/PF9KMXH",
                        "id": "PF9KMXH", "self": "https://api.pagerduty.com/services/PF9KMXH",
                        "summary": "checkout-api", "type": "service_reference"},
            "assignees": [{"id": "PLH1HKV", "summary": "Alice Oncall", "type": "user_reference"}],
            "escalation_policy": {"id": "PINL6HB", "summary": "Checkout",
                                  "type": "escalation_policy_reference"},
            "teams": [{"id": "PFCVPS0", "summary": "Payments", "type": "team_reference"}],
            "priority": ({"html_url": "https://acme.pagerduty.com/account/incident_priorities",
                          "id": "PSO75BM", "self": "https://api.pagerduty.com/priorities/PSO75BM",
                          "summary": priority, "type": "priority_reference"}
                         if priority else None),
            "urgency": urgency,
            "conference_bridge": {"conference_number": None, "conference_url": None},
            "resolve_reason": None,
        },
    }}


# ---- Opsgenie ----------------------------------------------------------------------------
def og_headers(token: str = OG_TOKEN) -> dict[str, str]:
    return {"X-Postmortem-Token": token}


def og_alert(
    action: str = "Close", *, alert_id: str = "70413a06-38d6-4c85-92b8-5ebc900d42e2",
    priority: str = "P2", details: dict[str, str] | None = None,
    created_ms: int = 1795334100000, updated_ns: int = 1795336800000000000,
) -> dict[str, Any]:
    # createdAt 2026-11-22T07:55Z in ms, updatedAt 2026-11-22T08:40Z in ns, as Opsgenie sends.
    return {
        "action": action,
        "alert": {
            "alertId": alert_id, "message": "Search latency p99 > 2s", "tags": ["search"],
            "tinyId": "1791", "entity": "search-api", "alias": "search-latency",
            "createdAt": created_ms, "updatedAt": updated_ns, "username": "bob@example.com",
            "userId": "daed1180-0ce8-438b-8f8e-57e1a5920a2d", "description": "",
            "team": "", "responders": [], "teams": ["search"], "actions": [],
            "details": details if details is not None else {"service": "search-api"},
            "priority": priority, "source": "Prometheus",
        },
        "source": {"name": "", "type": "web"},
        "integrationName": "Post-mortem bot", "integrationId": "37c8f316-17c6-49d7-899b",
        "integrationType": "Webhook",
    }


# ---- generic format ----------------------------------------------------------------------
def incident_headers(
    body: bytes, timestamp: int, secret: str = INCIDENT_SECRET, delivery: str | None = None
) -> dict[str, str]:
    headers = {
        "X-Postmortem-Timestamp": str(timestamp),
        "X-Postmortem-Signature": "sha256=" + hex_hmac(secret, f"{timestamp}.".encode() + body),
    }
    if delivery:
        headers["X-Postmortem-Delivery"] = delivery
    return headers


def generic_incident(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "inc-2041", "source": "incident.io", "title": "Payments double-charged cards",
        "severity": "SEV1", "services": ["payment-api", "ledger"], "channel": "C0INC42",
        "url": "https://app.incident.io/acme/incidents/2041",
        "started_at": "2026-11-22T06:10:00Z", "detected_at": "2026-11-22T06:25:00Z",
        "acknowledged_at": "2026-11-22T06:30:00Z", "mitigated_at": "2026-11-22T07:05:00Z",
        "resolved_at": "2026-11-22T08:00:00Z", "status": "resolved",
        "events": [
            {"at": "2026-11-22T06:40:00Z", "text": "Rolled back ledger deploy", "actor": "carol"},
            {"at": "2026-11-22T06:50:00Z", "text": "Paused card capture job"},
        ],
    }
    payload.update(overrides)
    return payload


# ---- GitHub and Jira closures ------------------------------------------------------------
def gh_headers(body: bytes, event: str = "issues", secret: str = GH_SECRET,
               delivery: str | None = None) -> dict[str, str]:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": "sha256=" + hex_hmac(secret, body),
            "User-Agent": "GitHub-Hookshot/abc1234"}


def gh_issue_closed(issue: dict[str, Any], repo: str, reason: str = "completed") -> dict[str, Any]:
    return {
        "action": "closed",
        "issue": {**issue, "state": "closed", "state_reason": reason,
                  "closed_at": "2026-11-25T10:00:00Z"},
        "repository": {"id": 1296269, "name": repo.split("/")[1], "full_name": repo,
                       "private": True, "html_url": f"https://github.com/{repo}"},
        "sender": {"login": "bob-gh", "id": 583231, "type": "User"},
    }


def jira_issue_updated(key: str, *, category: str = "done", resolution: str | None = "Done"
                       ) -> dict[str, Any]:
    return {
        "timestamp": 1795600000000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Bob"},
        "issue": {"id": "10001", "key": key, "self": f"https://acme.atlassian.net/rest/api/2/issue/{key}",
                  "fields": {"summary": "Add idempotency keys",
                             "status": {"name": "Done" if category == "done" else "In Progress",
                                        "statusCategory": {"key": category}},
                             "resolution": {"name": resolution} if resolution else None}},
        "changelog": {"id": "10100", "items": [
            {"field": "status", "fieldtype": "jira", "fromString": "In Progress",
             "toString": "Done" if category == "done" else "In Progress"}]},
    }
