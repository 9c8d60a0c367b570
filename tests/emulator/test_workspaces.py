"""Several workspaces at once: every token sees its own team's data only."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_emulator import SignedSlackClient, SlackEmulator

from .bot_server import BotServer

MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Post-mortem"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


@pytest.fixture
def acme(emu: SlackEmulator) -> WebClient:
    team = emu.add_team("T0ACME", "Acme Corp", bot_user_id="U0ACMEBOT", bot_id="B0ACME")
    assert team.bot_token is not None
    return WebClient(token=team.bot_token, base_url=emu.api_url)


def test_auth_test_answers_per_token(
    emu: SlackEmulator, client: WebClient, acme: WebClient
) -> None:
    default = client.auth_test()
    assert (default["team_id"], default["user_id"], default["bot_id"]) == (
        "T0001",
        "UBOT0001",
        "BBOT0001",
    )
    other = acme.auth_test()
    assert (other["team_id"], other["user_id"], other["bot_id"]) == (
        "T0ACME",
        "U0ACMEBOT",
        "B0ACME",
    )
    assert other["team"] == "Acme Corp" and other["url"] == "https://acme-corp.slack.com/"
    assert [t.team_id for t in emu.teams] == ["T0001", "T0ACME"]
    assert emu.calls_to("auth.test")[-1].team_id == "T0ACME"


def test_channels_messages_and_users_are_scoped(
    emu: SlackEmulator, client: WebClient, acme: WebClient
) -> None:
    emu.add_user("U1", "alice")
    emu.add_user("U9", "zed", team_id="T0ACME")
    client.chat_postMessage(channel="C1", text="default team")
    acme.chat_postMessage(channel="C1", text="acme team")
    assert [m["text"] for m in emu.messages("C1")] == ["default team"]
    assert [m["text"] for m in emu.messages("C1", team_id="T0ACME")] == ["acme team"]
    assert emu.messages("C1", team_id="T0ACME")[0]["team"] == "T0ACME"
    assert [m["text"] for m in acme.conversations_history(channel="C1")["messages"]] == [
        "acme team"
    ]
    assert acme.users_info(user="U9")["user"]["team_id"] == "T0ACME"
    assert api_error(lambda: acme.users_info(user="U1")).response["error"] == "user_not_found"
    assert api_error(lambda: client.users_info(user="U9")).response["error"] == "user_not_found"
    im = acme.conversations_open(users="U9")["channel"]["id"]
    assert emu.im_channel("U9", team_id="T0ACME") == im
    missing = api_error(lambda: client.conversations_history(channel=im))
    assert missing.response["error"] == "channel_not_found"


def test_views_and_triggers_belong_to_their_team(
    emu: SlackEmulator, client: WebClient, acme: WebClient
) -> None:
    foreign = emu.new_trigger_id(team_id="T0ACME")
    error = api_error(lambda: client.views_open(trigger_id=foreign, view=MODAL))
    assert error.response["error"] == "invalid_trigger_id"
    view = acme.views_open(trigger_id=foreign, view=MODAL)["view"]
    assert view["team_id"] == "T0ACME" and view["bot_id"] == "B0ACME"
    error = api_error(lambda: client.views_update(view_id=view["id"], view=MODAL))
    assert error.response["error"] == "not_found"
    acme.views_publish(user_id="U9", view={"type": "home", "blocks": MODAL["blocks"]})
    assert emu.home_of("U9") is None and emu.home_of("U9", team_id="T0ACME") is not None


def test_files_are_scoped(emu: SlackEmulator, client: WebClient, acme: WebClient) -> None:
    uploaded = acme.files_upload_v2(channel="C1", content=b"acme only", filename="a.txt")
    file_id = uploaded["file"]["id"]
    assert acme.files_info(file=file_id)["file"]["user_team"] == "T0ACME"
    assert api_error(lambda: client.files_info(file=file_id)).response["error"] == (
        "file_not_found"
    )


def test_signed_requests_from_another_team(
    emu: SlackEmulator, acme: WebClient, capture: BotServer
) -> None:
    slack = SignedSlackClient(capture.url, "secret", emulator=emu).for_team("T0ACME")
    slack.command("/postmortem", user_id="U9", channel_id="C1")
    slack.event({"type": "app_mention", "user": "U9", "text": "hi", "channel": "C1"})
    command = {k: v[0] for k, v in parse_qs(capture.received[0][0].decode()).items()}
    assert command["team_id"] == "T0ACME"
    # The trigger works for the Acme token only.
    assert acme.views_open(trigger_id=command["trigger_id"], view=MODAL)["ok"]
    envelope = json.loads(capture.received[1][0])
    assert envelope["team_id"] == "T0ACME"
    assert envelope["authorizations"][0]["user_id"] == "U0ACMEBOT"


def test_token_types_and_revocation(emu: SlackEmulator, client: WebClient) -> None:
    app_level = WebClient(token=emu.app_token, base_url=emu.api_url)
    error = api_error(lambda: app_level.chat_postMessage(channel="C1", text="x"))
    assert error.response["error"] == "not_allowed_token_type"
    error = api_error(lambda: client.apps_connections_open(app_token=emu.bot_token))
    assert error.response["error"] == "not_allowed_token_type"
    team = emu.add_team("T0GONE", "Gone")
    gone = WebClient(token=team.bot_token, base_url=emu.api_url)
    emu.revoke_token(str(team.bot_token))
    assert api_error(gone.auth_test).response["error"] == "token_revoked"
