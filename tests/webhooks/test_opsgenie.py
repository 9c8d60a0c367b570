"""POST /webhooks/opsgenie: alert actions from an Opsgenie Webhook integration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from storage.tables import Incident, Postmortem
from tests.fakes import webhooks as wh
from tests.fakes.bot import INCIDENT_CHANNEL, WebhookBot

PATH = "/webhooks/opsgenie"


def send(hooks: WebhookBot, payload: dict[str, Any], token: str = wh.OG_TOKEN) -> Any:
    return hooks.post(PATH, wh.dumps(payload), wh.og_headers(token))


def stored(hooks: WebhookBot) -> tuple[list[Incident], list[Postmortem]]:
    with hooks.bot.session() as session:
        return list(session.exec(select(Incident)).all()), list(session.exec(select(Postmortem)))


def test_close_opens_postmortem_in_the_channel_the_details_name(hooks: WebhookBot) -> None:
    alert = wh.og_alert(priority="P1", details={"channel": INCIDENT_CHANNEL,
                                                "service": "search-api, indexer"})
    response = send(hooks, alert)
    assert response.status == 201, response.text
    post = hooks.bot.emu.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == INCIDENT_CHANNEL
    (incident,), (pm,) = stored(hooks)
    assert incident.severity == 1 and incident.services == ["search-api", "indexer"]
    assert incident.channel_id == INCIDENT_CHANNEL
    # createdAt is in milliseconds, updatedAt in nanoseconds.
    assert incident.started_at == datetime(2026, 11, 22, 7, 55, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 11, 22, 8, 40, tzinfo=UTC)
    assert pm.channel_id == INCIDENT_CHANNEL


def test_acknowledge_then_close(hooks: WebhookBot) -> None:
    ack = wh.og_alert("Acknowledge", priority="P1", updated_ns=1795335000000000000)
    assert send(hooks, ack).json() == {"recorded": "Acknowledge"}
    assert send(hooks, wh.og_alert(priority="P1")).status == 201
    (incident,), _ = stored(hooks)
    assert incident.acknowledged_at == datetime(2026, 11, 22, 8, 10, tzinfo=UTC)


def test_wrong_or_missing_token_is_401(hooks: WebhookBot) -> None:
    assert send(hooks, wh.og_alert(), token="guess").status == 401
    assert hooks.post(PATH, wh.dumps(wh.og_alert()), {}).status == 401
    assert stored(hooks) == ([], [])


def test_other_actions_are_ignored(hooks: WebhookBot) -> None:
    response = send(hooks, wh.og_alert("Create"))
    assert response.status == 202 and response.json() == {"ignored": "Create"}


def test_missing_alert_fields_are_422(hooks: WebhookBot) -> None:
    alert = wh.og_alert()
    del alert["alert"]["message"]
    response = send(hooks, alert)
    assert response.status == 422 and response.json()["error"] == "missing fields: alert.message"
    assert stored(hooks) == ([], [])


def test_p3_is_offered_in_the_incidents_channel(hooks: WebhookBot) -> None:
    response = send(hooks, wh.og_alert(priority="P3"))
    assert response.status == 202 and response.json()["offered"] is True
    post = hooks.bot.emu.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "C0INCIDENT"


def test_a_second_close_is_a_duplicate(hooks: WebhookBot) -> None:
    first = send(hooks, wh.og_alert(priority="P1"))
    second = send(hooks, wh.og_alert(priority="P1", updated_ns=1795337000000000000))
    assert second.json() == {"duplicate": True, "postmortem_id": first.json()["postmortem_id"]}
