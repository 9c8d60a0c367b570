"""POST /webhooks/pagerduty: Webhooks v3 payloads, signed as PagerDuty signs them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.http.webhooks.intake import priority_severity
from bot.http.webhooks.pagerduty import severity_of
from storage.tables import Incident, Postmortem, TimelineEntry
from tests.fakes import webhooks as wh
from tests.fakes.bot import WebhookBot

PATH = "/webhooks/pagerduty"


def send(hooks: WebhookBot, payload: dict[str, Any], **header_args: Any) -> Any:
    body = wh.dumps(payload)
    return hooks.post(PATH, body, wh.pd_headers(body, **header_args))


def stored(hooks: WebhookBot) -> tuple[list[Incident], list[Postmortem]]:
    with hooks.bot.session() as session:
        return list(session.exec(select(Incident)).all()), list(session.exec(select(Postmortem)))


@pytest.mark.parametrize(
    ("name", "level"),
    [("P1", 1), ("P2", 2), ("P3", 3), ("P4", 4), ("P5", 4), ("p1", 1), ("SEV-0", 0),
     ("SEV2", 2), ("Critical", None), (None, None)],
)
def test_priority_names_map_to_severities(name: str | None, level: int | None) -> None:
    assert priority_severity(name) == level


@pytest.mark.parametrize(
    ("priority", "urgency", "level"),
    [({"summary": "P1"}, "low", 1), (None, "high", 2), (None, "low", 3),
     ({"summary": "Sev Custom"}, "high", 2), (None, None, 3)],
)
def test_without_a_usable_priority_urgency_decides(
    priority: dict[str, str] | None, urgency: str | None, level: int
) -> None:
    assert severity_of({"priority": priority, "urgency": urgency}) == level


def test_resolved_p1_opens_postmortem_in_the_incidents_channel(hooks: WebhookBot) -> None:
    response = send(hooks, wh.pd_event())
    assert response.status == 201, response.text
    post = hooks.bot.emu.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "C0INCIDENT"
    (incident,), (pm,) = stored(hooks)
    assert (incident.source, incident.external_id) == ("pagerduty", "Q3X7P9J2K1LMNO")
    assert incident.severity == 1 and incident.services == ["checkout-api"]
    assert incident.started_at == datetime(2026, 11, 22, 7, 55, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 11, 22, 8, 40, tzinfo=UTC)
    assert incident.external_url == "https://acme.pagerduty.com/incidents/Q3X7P9J2K1LMNO"
    assert pm.owner_id == "U0ALICE" and pm.message_ts == post.response["ts"]
    with hooks.bot.session() as session:
        texts = [e.text for e in session.exec(
            select(TimelineEntry).order_by(TimelineEntry.occurred_at)).all()]
    assert texts == ["Incident started (PagerDuty): Checkout API 5xx above 5%",
                     "Resolved in PagerDuty by Alice Oncall"]


def test_an_earlier_acknowledgement_reaches_incident_and_timeline(hooks: WebhookBot) -> None:
    ack = send(hooks, wh.pd_event("incident.acknowledged", occurred_at="2026-11-22T08:01:00Z"))
    assert ack.status == 202 and ack.json() == {"recorded": "incident.acknowledged"}
    assert send(hooks, wh.pd_event()).status == 201
    (incident,), _ = stored(hooks)
    assert incident.acknowledged_at == datetime(2026, 11, 22, 8, 1, tzinfo=UTC)
    with hooks.bot.session() as session:
        texts = [e.text for e in session.exec(select(TimelineEntry)).all()]
    assert "Acknowledged in PagerDuty" in texts


def test_any_of_several_signatures_may_match(hooks: WebhookBot) -> None:
    assert send(hooks, wh.pd_event(), rotated=True).status == 201


def test_bad_or_missing_signature_is_401(hooks: WebhookBot) -> None:
    assert send(hooks, wh.pd_event(), secret="wrong").status == 401
    assert hooks.post(PATH, wh.dumps(wh.pd_event()), {}).status == 401
    assert stored(hooks) == ([], [])


def test_a_redelivery_and_a_second_resolve_are_duplicates(hooks: WebhookBot) -> None:
    event = wh.pd_event(event_id="01DEN9R8HN0Q1U1QB9H5B5UWNF")
    first = send(hooks, event)
    redelivered = send(hooks, event)
    re_resolved = send(hooks, wh.pd_event(occurred_at="2026-11-22T08:55:00Z"))
    pm_id = first.json()["postmortem_id"]
    assert redelivered.json() == {"duplicate": True, "postmortem_id": pm_id}
    assert re_resolved.json() == {"duplicate": True, "postmortem_id": pm_id}
    assert len(stored(hooks)[1]) == 1
    assert len(hooks.bot.emu.calls_to("chat.postMessage")) == 1


def test_other_event_types_are_ignored(hooks: WebhookBot) -> None:
    response = send(hooks, wh.pd_event("incident.triggered"))
    assert response.status == 202 and response.json() == {"ignored": "incident.triggered"}
    assert stored(hooks) == ([], [])


def test_malformed_and_incomplete_payloads(hooks: WebhookBot) -> None:
    body = b"not json"
    assert hooks.post(PATH, body, wh.pd_headers(body)).status == 400
    event = wh.pd_event()
    del event["event"]["data"]["title"]
    response = send(hooks, event)
    assert response.status == 422 and "event.data.title" in response.json()["error"]
    assert send(hooks, {"messages": []}).status == 422
    assert stored(hooks) == ([], [])


def test_low_priority_is_offered_not_opened(hooks: WebhookBot) -> None:
    response = send(hooks, wh.pd_event(priority="P5"))
    assert response.status == 202 and response.json()["offered"] is True
    (incident,), pms = stored(hooks)
    assert incident.severity == 4 and pms == []
