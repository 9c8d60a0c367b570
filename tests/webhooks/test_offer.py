"""Optional incidents (and required ones nobody owns) are offered, not opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.slack.ids import Action
from slack_emulator import payloads
from storage.tables import Incident, Postmortem, Reminder, TimelineEntry
from tests.fakes import webhooks as wh
from tests.fakes.bot import WebhookBot, send_generic, webhook_bot
from tests.harness import FakeClock

# 20 minutes of SEV2 impact, no repeat: optional under the default policy.
OPTIONAL = {"severity": "SEV2", "started_at": "2026-11-22T07:40:00Z", "detected_at": None,
            "acknowledged_at": None, "mitigated_at": None, "events": None,
            "resolved_at": "2026-11-22T08:00:00Z", "channel": None}


def offer_message(hooks: WebhookBot) -> dict[str, Any]:
    hooks.bot.emu.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "C0INCIDENT")
    return hooks.bot.emu.messages("C0INCIDENT")[-1]


def button(message: dict[str, Any]) -> dict[str, Any]:
    return next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])


def test_optional_incident_is_stored_and_offered(hooks: WebhookBot) -> None:
    response = send_generic(hooks, wh.generic_incident(**OPTIONAL))
    assert response.status == 202, response.text
    body = response.json()
    assert body["offered"] is True and body["required"] is False
    message = offer_message(hooks)
    assert "optional" in message["text"] and "Payments double-charged cards" in message["text"]
    assert button(message)["action_id"] == Action.OFFER_START
    assert button(message)["value"] == str(body["incident_id"])
    with hooks.bot.session() as session:
        assert session.exec(select(Incident)).one().id == body["incident_id"]
        assert session.exec(select(Postmortem)).all() == []


def test_pressing_start_opens_it_once_owned_by_whoever_pressed(hooks: WebhookBot) -> None:
    incident_id = send_generic(hooks, wh.generic_incident(**OPTIONAL)).json()["incident_id"]
    message = offer_message(hooks)
    for _ in range(2):
        response = hooks.bot.slack.block_action(
            "U0BOB", Action.OFFER_START, value=str(incident_id), channel_id="C0INCIDENT",
            message=message,
        )
        assert response.status == 200
        hooks.bot.settle()
    with hooks.bot.session() as session:
        pm = session.exec(select(Postmortem)).one()
        timeline = session.exec(select(TimelineEntry)).all()
        reminders = session.exec(select(Reminder).where(Reminder.postmortem_id == pm.id)).all()
    assert pm.owner_id == "U0BOB" and pm.incident_id == incident_id and pm.required
    assert pm.channel_id == "C0INCIDENT" and pm.message_ts
    assert [e.text for e in sorted(timeline, key=lambda e: e.occurred_at)] == [
        "Incident started (incident.io): Payments double-charged cards",
        "Resolved in incident.io",
    ]
    assert reminders, "the deadline reminders are planned like any required post-mortem"
    updated = hooks.bot.emu.calls_to("chat.update")
    assert any("<@U0BOB> started the post-mortem" in c.args["text"] for c in updated)
    # The second press found it open and said so instead of opening another.
    assert any("already open" in m.get("text", "") for m in hooks.bot.emu.ephemeral_messages)


def test_a_retried_offer_is_not_posted_twice(hooks: WebhookBot) -> None:
    first = send_generic(hooks, wh.generic_incident(**OPTIONAL), delivery="o-1")
    again = send_generic(hooks, wh.generic_incident(**OPTIONAL), delivery="o-2")
    assert first.status == 202
    assert again.status == 200 and again.json() == {"duplicate": True, "postmortem_id": None}
    assert len(hooks.bot.emu.calls_to("chat.postMessage")) == 1


def test_required_incident_without_an_owner_is_offered_as_required(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with webhook_bot(sqlite_url, clock, tmp_path, INCIDENT_WEBHOOK_DEFAULT_OWNER="") as hooks:
        response = send_generic(hooks, wh.generic_incident())
        assert response.status == 202 and response.json()["required"] is True
        message = offer_message(hooks)
        assert "needs a post-mortem" in message["text"] and "no owner" in message["text"]
        with hooks.bot.session() as session:
            assert session.exec(select(Postmortem)).all() == []


def test_a_guest_from_another_organisation_cannot_start_it(hooks: WebhookBot) -> None:
    incident_id = send_generic(hooks, wh.generic_incident(**OPTIONAL)).json()["incident_id"]
    message = offer_message(hooks)
    # A Slack Connect guest: the button is in our workspace, the user belongs to theirs.
    payload = payloads.block_actions(
        team_id="T0001", app_id="A0EMU", user_id="U0BOB", trigger_id="1.2.3",
        action={"action_id": Action.OFFER_START, "block_id": "b", "type": "button",
                "value": str(incident_id), "action_ts": payloads.action_ts()},
        channel_id="C0INCIDENT", message=message, view=None, response_url=None,
    )
    payload["user"]["team_id"] = "T0OTHER"
    assert hooks.bot.slack.interaction(payload).status == 200
    hooks.bot.settle()
    with hooks.bot.session() as session:
        assert session.exec(select(Postmortem)).all() == []
    assert not hooks.bot.emu.calls_to("chat.update")
    told = [m["text"] for m in hooks.bot.emu.ephemeral_messages]
    assert any("Only members of this workspace" in t for t in told)


def test_the_offer_mentions_nobody_by_accident(hooks: WebhookBot) -> None:
    title = "Payments <!channel> double-charged <@U0DAN>"
    response = send_generic(hooks, wh.generic_incident(**{**OPTIONAL, "title": title}))
    assert response.status == 202
    message = offer_message(hooks)
    texts = [message["text"], *(str(b) for b in message["blocks"])]
    assert not any("<!channel>" in t or "<@U0DAN>" in t for t in texts)
    assert "&lt;!channel&gt;" in message["text"]
