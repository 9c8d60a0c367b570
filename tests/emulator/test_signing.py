"""SignedSlackClient: signatures Slack's own verifier accepts, and a real Bolt app round trip."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from slack_emulator import SignedSlackClient, SlackEmulator, sign

from .bot_server import BotServer, serve

SECRET = "emulator-signing-secret"


def test_sign_matches_slack_verifier() -> None:
    body = "token=x&text=hello"
    headers = sign(SECRET, body, 1_700_000_000)
    verifier = SignatureVerifier(SECRET, clock=type("C", (), {"now": lambda self: 1_700_000_000})())
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not verifier.is_valid(
        body + "x", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_every_request_kind_is_signed(emu: SlackEmulator, capture: BotServer) -> None:
    bot = SignedSlackClient(capture.url, SECRET, emulator=emu)
    bot.command("/postmortem", text="start DB outage", user_id="U1", channel_id="C1")
    bot.event({"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1"})
    bot.block_action("U1", "ack", value="1", message={"ts": "1.000100"}, channel_id="C1")
    bot.message_shortcut("U1", "pm_from_message", "C1", {"ts": "1.000100", "text": "x"})

    verifier = SignatureVerifier(SECRET)
    assert len(capture.received) == 4
    for body, headers in capture.received:
        assert verifier.is_valid_request(body, headers)

    command = {k: v[0] for k, v in parse_qs(capture.received[0][0].decode()).items()}
    assert command["command"] == "/postmortem" and command["text"] == "start DB outage"
    assert command["response_url"].startswith(f"{emu.base_url}/response/")
    assert command["trigger_id"] and command["team_id"] == "T0001"
    envelope = json.loads(capture.received[1][0])
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    action = json.loads(parse_qs(capture.received[2][0].decode())["payload"][0])
    assert action["type"] == "block_actions" and action["actions"][0]["value"] == "1"
    assert action["container"] == {
        "type": "message",
        "message_ts": "1.000100",
        "channel_id": "C1",
        "is_ephemeral": False,
    }


def test_bad_signature_is_rejected_by_bolt(emu: SlackEmulator) -> None:
    app = App(signing_secret=SECRET, client=WebClient(token=emu.bot_token, base_url=emu.api_url))
    for server in serve(app):
        bot = SignedSlackClient(server.url, SECRET, emulator=emu)
        body = b"command=%2Fpostmortem"
        headers = {
            **sign("wrong-secret", body, 1_700_000_000),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        assert bot.send_raw("/slack/events", body, headers).status == 401


def _bolt_app(emu: SlackEmulator) -> App:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=emu.bot_token, base_url=emu.api_url),
        process_before_response=True,
    )
    form = {
        "type": "modal",
        "callback_id": "pm_start",
        "title": {"type": "plain_text", "text": "Start post-mortem"},
        "submit": {"type": "plain_text", "text": "Start"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }

    @app.command("/postmortem")
    def start(ack: Any, body: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=form)

    @app.view("pm_start")
    def submitted(ack: Any, view: dict, client: WebClient) -> None:
        title = view["state"]["values"]["title"]["value"]["value"]
        if not title.strip():
            ack(response_action="errors", errors={"title": "Give it a title"})
            return
        ack()
        client.chat_postMessage(
            channel="C1",
            text=f"Post-mortem: {title}",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "done",
                            "value": "pm-1",
                            "text": {"type": "plain_text", "text": "Done"},
                        },
                    ],
                },
            ],
        )

    @app.action("done")
    def done(ack: Any, respond: Any) -> None:
        ack()
        respond(replace_original=True, text="Post-mortem closed")

    return app


def test_bolt_round_trip(emu: SlackEmulator) -> None:
    for server in serve(_bolt_app(emu)):
        bot = SignedSlackClient(server.url, SECRET, emulator=emu)
        assert bot.command("/postmortem", user_id="U1", channel_id="C1").status == 200
        [opened] = emu.wait_for("views.open")
        view_id = opened.response["view"]["id"]

        rejected = bot.view_submission("U1", view_id, {"title": {"value": "  "}})
        assert rejected.json()["response_action"] == "errors"
        assert emu.is_view_open(view_id)

        assert bot.view_submission("U1", view_id, {"title": {"value": "DB outage"}}).status == 200
        assert not emu.is_view_open(view_id)
        [posted] = emu.wait_for("chat.postMessage")
        message = posted.response["message"]

        bot.block_action("U1", "done", message=message, channel_id="C1")
        emu.wait_for("response_url")
        assert emu.messages("C1")[0]["text"] == "Post-mortem closed"
