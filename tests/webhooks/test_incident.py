"""POST /webhooks/incident: the generic format, signed with a timestamp, end to end."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from storage.tables import AuditEvent, Incident, Postmortem, ProcessedKey, TimelineEntry
from tests.fakes import webhooks as wh
from tests.fakes.bot import INCIDENT_CHANNEL, WebhookBot, now_ts, send_generic, webhook_bot
from tests.harness import FakeClock


def rows(hooks: WebhookBot, model: Any) -> list[Any]:
    with hooks.bot.session() as session:
        return list(session.exec(select(model)).all())


def nothing_stored(hooks: WebhookBot) -> bool:
    return not rows(hooks, Incident) and not rows(hooks, Postmortem)


def test_required_incident_opens_postmortem_in_its_channel_with_timeline(
    hooks: WebhookBot,
) -> None:
    response = send_generic(hooks, wh.generic_incident())
    assert response.status == 201, response.text
    pm_id = response.json()["postmortem_id"]
    post = hooks.bot.emu.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == INCIDENT_CHANNEL)[0]
    pm, = rows(hooks, Postmortem)
    incident, = rows(hooks, Incident)
    assert pm.id == pm_id and pm.owner_id == "U0ALICE" and pm.required
    assert pm.channel_id == INCIDENT_CHANNEL and pm.message_ts == post.response["ts"]
    assert (incident.source, incident.external_id) == ("incident.io", "inc-2041")
    assert incident.severity == 1 and incident.services == ["payment-api", "ledger"]
    assert incident.external_url == "https://app.incident.io/acme/incidents/2041"
    assert incident.mitigated_at == datetime(2026, 11, 22, 7, 5, tzinfo=UTC)
    assert "Payments double-charged cards" in post.args["text"]
    timeline = sorted(rows(hooks, TimelineEntry), key=lambda e: e.occurred_at)
    assert [e.text for e in timeline] == [
        "Incident started (incident.io): Payments double-charged cards",
        "Detected (incident.io)",
        "Acknowledged in incident.io",
        "Rolled back ledger deploy",
        "Paused card capture job",
        "Mitigated (incident.io)",
        "Resolved in incident.io",
    ]
    assert {e.source for e in timeline} == {"webhook"}
    assert timeline[3].actor == "carol"
    assert [e.kind for e in rows(hooks, AuditEvent)] == ["created"]


def test_same_delivery_twice_is_one_postmortem(hooks: WebhookBot) -> None:
    first = send_generic(hooks, wh.generic_incident(), delivery="d-1")
    again = send_generic(hooks, wh.generic_incident(), delivery="d-1")
    assert first.status == 201
    assert again.status == 200
    assert again.json() == {"duplicate": True, "postmortem_id": first.json()["postmortem_id"]}
    assert len(rows(hooks, Postmortem)) == 1
    assert len(hooks.bot.emu.calls_to("chat.postMessage")) == 1


def test_same_incident_in_a_new_delivery_is_a_duplicate(hooks: WebhookBot) -> None:
    first = send_generic(hooks, wh.generic_incident(), delivery="resolve-1")
    # Reopened and resolved again: a new delivery about the same incident.
    later = send_generic(hooks, wh.generic_incident(resolved_at="2026-11-22T08:30:00Z"),
                         delivery="resolve-2")
    assert later.status == 200 and later.json()["duplicate"] is True
    assert later.json()["postmortem_id"] == first.json()["postmortem_id"]
    assert len(rows(hooks, Incident)) == 1


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamp_is_refused(hooks: WebhookBot, offset: int) -> None:
    response = send_generic(hooks, wh.generic_incident(),
                            timestamp=now_ts(hooks.bot) + offset)
    assert response.status == 401
    assert "stale" in response.json()["error"]
    assert nothing_stored(hooks)


def test_timestamp_inside_the_window_is_accepted(hooks: WebhookBot) -> None:
    response = send_generic(hooks, wh.generic_incident(), timestamp=now_ts(hooks.bot) - 240)
    assert response.status == 201


def test_bad_signature_is_refused_logged_once_and_nothing_stored(
    hooks: WebhookBot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.http.webhooks"):
        response = send_generic(hooks, wh.generic_incident(), secret="not-the-secret")
    assert response.status == 401 and response.json() == {"error": "bad signature"}
    assert nothing_stored(hooks)
    lines = [r for r in caplog.records if r.name.startswith("bot.http.webhooks")]
    assert len(lines) == 1 and "rejected (401)" in lines[0].getMessage()


def test_missing_signature_headers_are_refused(hooks: WebhookBot) -> None:
    response = hooks.post("/webhooks/incident", wh.dumps(wh.generic_incident()), {})
    assert response.status == 401


def test_malformed_json_is_400(hooks: WebhookBot) -> None:
    body = b'{"id": "inc-1", "title": '
    response = hooks.post("/webhooks/incident", body,
                          wh.incident_headers(body, now_ts(hooks.bot)))
    assert response.status == 400 and response.json()["error"] == "malformed JSON"
    assert nothing_stored(hooks)


def test_missing_fields_are_422_and_named(hooks: WebhookBot) -> None:
    payload = wh.generic_incident()
    del payload["title"], payload["started_at"]
    response = send_generic(hooks, payload)
    assert response.status == 422
    assert response.json()["error"] == "missing fields: title, started_at"
    assert nothing_stored(hooks)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"severity": "critical"}, "not a severity"),
        ({"resolved_at": "2026-11-22T08:00:00"}, "UTC offset"),
        ({"channel": "#payments"}, "channel"),
        ({"events": [{"text": "no time"}]}, "events[0].at"),
        ({"resolved_at": "2026-11-22T05:00:00Z"}, "Resolved must be after"),
    ],
)
def test_invalid_fields_are_422(
    hooks: WebhookBot, overrides: dict[str, Any], fragment: str
) -> None:
    response = send_generic(hooks, wh.generic_incident(**overrides))
    assert response.status == 422
    assert fragment in response.json()["error"]
    assert nothing_stored(hooks)


def test_firing_alerts_are_ignored(hooks: WebhookBot) -> None:
    response = send_generic(hooks, {"id": "alert-1", "status": "firing"})
    assert response.status == 202 and response.json() == {"ignored": "firing"}
    assert nothing_stored(hooks)


def test_on_call_mapping_picks_the_owner(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with webhook_bot(sqlite_url, clock, tmp_path,
                     INCIDENT_WEBHOOK_OWNERS="ledger=U0CAROL") as hooks:
        assert send_generic(hooks, wh.generic_incident()).status == 201
        assert rows(hooks, Postmortem)[0].owner_id == "U0CAROL"


def test_payload_owner_wins(hooks: WebhookBot) -> None:
    assert send_generic(hooks, wh.generic_incident(owner="U0DAN")).status == 201
    assert rows(hooks, Postmortem)[0].owner_id == "U0DAN"


def test_without_any_channel_it_is_503_and_nothing_stored(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with webhook_bot(sqlite_url, clock, tmp_path, incidents_channel=None) as hooks:
        response = send_generic(hooks, wh.generic_incident(channel=None))
        assert response.status == 503 and "POSTMORTEM_INCIDENTS_CHANNEL" in response.json()["error"]
        assert nothing_stored(hooks)


def test_slack_refusal_is_502_and_the_retry_posts_the_control_message(
    hooks: WebhookBot,
) -> None:
    hooks.bot.emu.fail_next("chat.postMessage", "internal_error")
    first = send_generic(hooks, wh.generic_incident(), delivery="d-7")
    assert first.status == 502 and first.json()["postmortem_id"]
    retry = send_generic(hooks, wh.generic_incident(), delivery="d-7")
    assert retry.status == 200 and retry.json()["duplicate"] is True
    hooks.bot.emu.wait_for("chat.postMessage",
                           where=lambda c: c.args["channel"] == INCIDENT_CHANNEL)
    assert rows(hooks, Postmortem)[0].message_ts is not None


def test_delivery_keys_are_kept(hooks: WebhookBot) -> None:
    send_generic(hooks, wh.generic_incident(), delivery="abc")
    assert "webhook:incident.io:abc" in {k.key for k in rows(hooks, ProcessedKey)}


def test_unconfigured_webhooks_fail_closed(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    from tests.harness import running_bot

    with running_bot(sqlite_url, clock, tmp_path) as bot:
        for path in ("/webhooks/pagerduty", "/webhooks/opsgenie", "/webhooks/incident",
                     "/webhooks/github", "/webhooks/jira"):
            response = wh.post(bot.url, path, b"{}", {})
            assert response.status == 503, path
            assert "not configured" in response.json()["error"]
