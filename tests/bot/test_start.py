"""`/postmortem start` end to end: signed slash command → modal → submission → control message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.slack.ids import Block, Callback
from storage.tables import AuditEvent, Incident, Postmortem
from tests.harness import Harness


def start_values(
    title: str = "Checkout API returned 500s",
    severity: str = "SEV1",
    services: str = "payment-api, postgres",
    channel: str = "C0INCIDENT",
    started: int | None = 1763733600,
    resolved: int | None = 1763737200,
) -> dict[str, Any]:
    return {
        Block.TITLE: {"value": {"type": "plain_text_input", "value": title}},
        Block.SEVERITY: {
            "value": {
                "type": "static_select",
                "selected_option": {"value": severity} if severity else None,
            }
        },
        Block.SERVICES: {"value": {"type": "plain_text_input", "value": services}},
        Block.CHANNEL: {
            "value": {"type": "conversations_select", "selected_conversation": channel}
        },
        Block.STARTED_AT: {"value": {"type": "datetimepicker", "selected_date_time": started}},
        Block.RESOLVED_AT: {"value": {"type": "datetimepicker", "selected_date_time": resolved}},
    }


def test_start_opens_a_modal_slack_accepts(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start Checkout API returned 500s")
    assert view["callback_id"] == Callback.START
    title_block = next(b for b in view["blocks"] if b["block_id"] == Block.TITLE)
    assert title_block["element"]["initial_value"] == "Checkout API returned 500s"


def test_submit_creates_postmortem_and_posts_control_message(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    response = bot.slack.view_submission("U0ALICE", view, start_values())
    assert response.status == 200
    bot.settle()
    post = bot.emu.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == "C0INCIDENT"
    )[0]
    with bot.session() as session:
        pm = session.exec(select(Postmortem)).one()
        incident = session.get(Incident, pm.incident_id)
        events = session.exec(select(AuditEvent)).all()
    assert incident is not None
    assert incident.title == "Checkout API returned 500s"
    assert incident.severity == 1
    assert incident.services == ["payment-api", "postgres"]
    assert incident.reference.startswith("INC-2025-11-21-")
    assert pm.owner_id == "U0ALICE"
    assert pm.required
    # 48 hours after resolution, computed in UTC.
    assert pm.due_at == incident.resolved_at + timedelta(hours=48)
    assert pm.message_ts == post.response["ts"]
    text = post.args["text"]
    assert "U0ALICE" in text and "Still missing" in text
    assert [e.kind for e in events] == ["created"]


def test_p_naming_is_accepted(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    bot.slack.view_submission("U0ALICE", view, start_values(severity="P2"))
    bot.settle()
    with bot.session() as session:
        assert session.exec(select(Incident)).one().severity == 2


def test_invalid_fields_come_back_as_modal_errors_and_nothing_is_saved(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    response = bot.slack.view_submission(
        "U0ALICE", view, start_values(title="  ", started=1763737200, resolved=1763733600)
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {Block.TITLE, Block.RESOLVED_AT}
    with bot.session() as session:
        assert session.exec(select(Postmortem)).all() == []


def test_unparseable_time_is_a_field_error(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    values = start_values()
    values[Block.STARTED_AT]["value"]["selected_date_time"] = "yesterday-ish"
    body = bot.slack.view_submission("U0ALICE", view, values).json()
    assert body["errors"] == {Block.STARTED_AT: "“yesterday-ish” is not a date and time."}


def test_double_submit_creates_one_postmortem(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    first = bot.slack.view_submission("U0ALICE", view, start_values())
    second = bot.slack.view_submission("U0ALICE", view, start_values())
    assert first.status == second.status == 200
    bot.settle()
    with bot.session() as session:
        assert len(session.exec(select(Postmortem)).all()) == 1


def test_slack_error_while_posting_keeps_postmortem_and_tells_user(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    bot.emu.fail_next("chat.postMessage", "not_in_channel")
    bot.slack.view_submission("U0ALICE", view, start_values())
    bot.settle()
    ephemeral = bot.emu.wait_for("chat.postEphemeral")[0]
    assert "not_in_channel" in ephemeral.args["text"]
    with bot.session() as session:
        pm = session.exec(select(Postmortem)).one()
    assert pm.message_ts is None
    assert f"/postmortem post {pm.id}" in ephemeral.args["text"]


def test_help_and_unknown_subcommands(bot: Harness) -> None:
    help_text = bot.slack.command(
        "/postmortem", text="help", user_id="U0ALICE", channel_id="C0INCIDENT"
    ).json()["text"]
    assert "/postmortem start" in help_text
    unknown = bot.slack.command(
        "/postmortem", text="frobnicate", user_id="U0ALICE", channel_id="C0INCIDENT"
    ).json()
    assert unknown["response_type"] == "ephemeral"
    assert "frobnicate" in unknown["text"] and "/postmortem start" in unknown["text"]


def test_unsigned_and_stale_requests_are_refused(bot: Harness) -> None:
    body = b"command=%2Fpostmortem&text=start&user_id=U0ALICE"
    unsigned = bot.slack.send_raw(
        "/slack/events", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert unsigned.status == 401
    from slack_emulator.signing import sign

    wrong = sign("not-the-secret", body, int(__import__("time").time()))
    assert (
        bot.slack.send_raw(
            "/slack/events", body, {**wrong, "Content-Type": "application/x-www-form-urlencoded"}
        ).status
        == 401
    )
    stale = sign("test-signing-secret", body, int(__import__("time").time()) - 301)
    assert (
        bot.slack.send_raw(
            "/slack/events", body, {**stale, "Content-Type": "application/x-www-form-urlencoded"}
        ).status
        == 401
    )
    assert bot.emu.calls_to("views.open") == []
    with bot.session() as session:
        assert session.exec(select(Postmortem)).all() == []
