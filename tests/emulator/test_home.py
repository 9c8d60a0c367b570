"""App Home: views.publish rules, per-user storage, and the events/actions Slack sends from it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_emulator import SignedSlackClient, SlackEmulator

from .bot_server import BotServer, serve

SECRET = "emulator-signing-secret"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Your post-mortems"}}
BUTTON = {
    "type": "actions",
    "block_id": "home_actions",
    "elements": [
        {
            "type": "button",
            "action_id": "home_new",
            "value": "new",
            "text": {"type": "plain_text", "text": "New post-mortem"},
        }
    ],
}


def home(blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks if blocks is not None else [SECTION], **extra}


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def test_publish_stores_one_home_per_user(emu: SlackEmulator, client: WebClient) -> None:
    assert emu.home_of("U1") is None
    first = client.views_publish(user_id="U1", view=home(private_metadata="pm=1"))["view"]
    assert first["type"] == "home" and first["root_view_id"] == first["id"]
    assert (first["team_id"], first["app_id"]) == (emu.team_id, emu.app_id)
    client.views_publish(user_id="U2", view=home([BUTTON]))
    second = client.views_publish(user_id="U1", view=home([BUTTON]), hash=first["hash"])["view"]
    assert second["id"] == first["id"] and second["hash"] != first["hash"]
    stored = emu.home_of("U1")
    assert stored is not None and stored["blocks"] == [BUTTON]
    assert emu.home_of("U2") is not None and emu.home_of("U2")["id"] != first["id"]  # type: ignore[index]
    stale = api_error(lambda: client.views_publish(user_id="U1", view=home(), hash=first["hash"]))
    assert stale.response["error"] == "hash_conflict"


@pytest.mark.parametrize(
    "view",
    [
        home([SECTION] * 101),
        home(private_metadata="x" * 3001),
        home(submit={"type": "plain_text", "text": "Save"}),
        home([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]),
        {**home(), "type": "modal", "title": {"type": "plain_text", "text": "Nope"}},
    ],
    ids=["101-blocks", "long-private-metadata", "submit-on-home", "long-section", "modal"],
)
def test_invalid_home_views_rejected(client: WebClient, view: dict[str, Any]) -> None:
    error = api_error(lambda: client.views_publish(user_id="U1", view=view))
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"]


def test_home_allows_100_blocks(emu: SlackEmulator, client: WebClient) -> None:
    assert client.views_publish(user_id="U1", view=home([SECTION] * 100))["ok"]
    assert len(emu.home_of("U1")["blocks"]) == 100  # type: ignore[index]


def test_publish_needs_a_real_user_and_an_enabled_home_tab(clock: Any) -> None:
    with SlackEmulator(clock=clock, strict_channels=True) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        error = api_error(lambda: client.views_publish(user_id="U404", view=home()))
        assert error.response["response_metadata"]["messages"] == ["invalid `user_id`"]
        emu.add_user("U1", "alice")
        emu.configure_app(home_tab=False)
        error = api_error(lambda: client.views_publish(user_id="U1", view=home()))
        assert error.response["error"] == "not_enabled"


def test_app_home_opened_event_carries_the_published_view(
    emu: SlackEmulator, client: WebClient, capture: BotServer
) -> None:
    slack = SignedSlackClient(capture.url, SECRET, emulator=emu)
    slack.app_home_opened("U1")
    client.views_publish(user_id="U1", view=home())
    slack.app_home_opened("U1")
    slack.app_home_opened("U1", tab="messages")
    events = [json.loads(body)["event"] for body, _ in capture.received]
    assert [e["type"] for e in events] == ["app_home_opened"] * 3
    assert events[0]["channel"] == emu.im_channel("U1") and "view" not in events[0]
    assert events[1]["view"]["id"] == emu.home_of("U1")["id"]  # type: ignore[index]
    assert events[2]["tab"] == "messages" and "view" not in events[2]


def test_home_action_payload(emu: SlackEmulator, client: WebClient, capture: BotServer) -> None:
    client.views_publish(user_id="U1", view=home([BUTTON]))
    slack = SignedSlackClient(capture.url, SECRET, emulator=emu)
    slack.home_action("U1", "home_new")
    payload = json.loads(parse_qs(capture.received[0][0].decode())["payload"][0])
    view_id = emu.home_of("U1")["id"]  # type: ignore[index]
    assert payload["type"] == "block_actions"
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["view"]["type"] == "home" and "response_url" not in payload
    assert payload["actions"][0]["value"] == "new"
    assert payload["actions"][0]["block_id"] == "home_actions"
    with pytest.raises(KeyError):
        slack.home_action("U2", "home_new")


def _home_bot(emu: SlackEmulator) -> App:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=emu.bot_token, base_url=emu.api_url),
        process_before_response=True,
    )

    @app.event("app_home_opened")
    def opened(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view=home([SECTION, BUTTON]))

    @app.action("home_new")
    def new(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "pm_start",
                "title": {"type": "plain_text", "text": "Start post-mortem"},
                "blocks": [SECTION],
            },
        )

    return app


def test_bolt_home_round_trip(emu: SlackEmulator) -> None:
    for server in serve(_home_bot(emu)):
        slack = SignedSlackClient(server.url, SECRET, emulator=emu)
        assert slack.app_home_opened("U1").status == 200
        emu.wait_for("views.publish")
        assert slack.home_action("U1", "home_new").status == 200
        [opened] = emu.wait_for("views.open")
        assert emu.is_view_open(opened.response["view"]["id"])
