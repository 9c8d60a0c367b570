"""The emulator must answer like Slack and reject what Slack rejects (via the real slack_sdk)."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from slack_emulator import SlackEmulator

from .conftest import FakeClock

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


def modal(blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "pm_start",
        "title": {"type": "plain_text", "text": "Start post-mortem"},
        "submit": {"type": "plain_text", "text": "Start"},
        "blocks": blocks if blocks is not None else [SECTION],
    }
    view.update(extra)
    return view


def input_block(block_id: str = "title") -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Title"},
        "element": {"type": "plain_text_input", "action_id": "value"},
    }


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


# ---- recording & auth --------------------------------------------------------------------


def test_records_every_call_with_parsed_args(emu: SlackEmulator, client: WebClient) -> None:
    client.auth_test()
    posted = client.chat_postMessage(channel="C1", text="hi", blocks=[SECTION])
    assert posted["ok"] and posted["channel"] == "C1" and posted["message"]["text"] == "hi"

    assert [c.method for c in emu.calls] == ["auth.test", "chat.postMessage"]
    call = emu.calls_to("chat.postMessage")[0]
    assert call.args["blocks"] == [SECTION]  # JSON string decoded back into objects
    assert call.status == 200 and call.response["ts"] == posted["ts"]
    assert emu.wait_for("chat.postMessage", timeout=0.1)[0] is not None
    assert emu.messages("C1")[0]["text"] == "hi"

    emu.reset()
    assert emu.calls == []


def test_ts_values_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel=f"C{i}", text="x")["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


def test_wait_for_times_out_with_recorded_methods(emu: SlackEmulator, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test"):
        emu.wait_for("chat.postMessage", timeout=0.05)


def test_invalid_and_missing_auth(emu: SlackEmulator) -> None:
    bad = WebClient(token="xoxb-wrong", base_url=emu.api_url)
    assert api_error(bad.auth_test).response["error"] == "invalid_auth"

    request = urllib.request.Request(f"{emu.api_url}auth.test", data=b"", method="POST")
    with urllib.request.urlopen(request) as resp:
        assert json.loads(resp.read())["error"] == "not_authed"
    assert emu.calls_to("auth.test") == []
    assert len(emu.calls_to("auth.test", include_errors=True)) == 2


def test_unknown_method(client: WebClient) -> None:
    assert api_error(lambda: client.api_call("chat.teleport")).response["error"] == (
        "unknown_method"
    )


# ---- message validation ------------------------------------------------------------------


def test_more_than_50_blocks_rejected(client: WebClient) -> None:
    error = api_error(
        lambda: client.chat_postMessage(channel="C1", text="x", blocks=[SECTION] * 51)
    )
    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"][0].startswith("[ERROR]")


def test_section_text_over_3000_rejected(client: WebClient) -> None:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=[block]))
    assert error.response["error"] == "invalid_blocks"
    assert any("/blocks/0/text" in m for m in error.response["response_metadata"]["messages"])


def test_input_block_in_message_rejected(client: WebClient) -> None:
    error = api_error(
        lambda: client.chat_postMessage(channel="C1", text="x", blocks=[input_block()])
    )
    assert error.response["error"] == "invalid_blocks"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_needs_text_or_blocks(client: WebClient) -> None:
    assert api_error(lambda: client.chat_postMessage(channel="C1")).response["error"] == "no_text"


def test_update_rules(emu: SlackEmulator, client: WebClient) -> None:
    human = emu.post_as_user("C1", "U1", "the db is down")
    error = api_error(lambda: client.chat_update(channel="C1", ts=human, text="edited"))
    assert error.response["error"] == "cant_update_message"
    error = api_error(lambda: client.chat_update(channel="C1", ts="1.000001", text="x"))
    assert error.response["error"] == "message_not_found"

    ts = client.chat_postMessage(channel="C1", text="v1")["ts"]
    client.chat_update(channel="C1", ts=ts, text="v2")
    assert [m["text"] for m in emu.messages("C1")] == ["the db is down", "v2"]


def test_threads_history_and_reactions(emu: SlackEmulator, client: WebClient) -> None:
    parent = emu.post_as_user("C1", "U1", "incident resolved")
    client.chat_postMessage(channel="C1", text="starting a post-mortem", thread_ts=parent)
    client.reactions_add(channel="C1", timestamp=parent, name="memo")

    history = client.conversations_history(channel="C1")["messages"]
    assert [m["ts"] for m in history] == [parent]
    assert history[0]["reply_count"] == 1 and history[0]["reactions"][0]["name"] == "memo"
    replies = client.conversations_replies(channel="C1", ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["incident resolved", "starting a post-mortem"]
    error = api_error(lambda: client.reactions_add(channel="C1", timestamp=parent, name="memo"))
    assert error.response["error"] == "already_reacted"


def test_post_to_user_id_goes_to_im(emu: SlackEmulator, client: WebClient) -> None:
    emu.add_user("U1", "alice")
    posted = client.chat_postMessage(channel="U1", text="your action item is due")
    im = client.conversations_open(users="U1")["channel"]["id"]
    assert posted["channel"] == im and im.startswith("D")
    assert emu.messages(im)[0]["text"] == "your action item is due"


def test_channel_names_and_strict_channels(clock: FakeClock) -> None:
    with SlackEmulator(clock=clock, strict_channels=True) as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.api_url)
        emu.add_channel("C0ENG", "engineering", members=["U1"])
        assert client.chat_postMessage(channel="#engineering", text="x")["channel"] == "C0ENG"
        for channel in ("#nowhere", "C0NEVER"):
            error = api_error(lambda c=channel: client.chat_postMessage(channel=c, text="x"))
            assert error.response["error"] == "channel_not_found"


# ---- views -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "view",
    [
        modal([SECTION] * 101),
        modal(title={"type": "plain_text", "text": "x" * 25}),
        modal([input_block()], submit=None),
        modal(private_metadata="x" * 3001),
    ],
    ids=["101-blocks", "long-title", "input-without-submit", "long-private-metadata"],
)
def test_invalid_modals_rejected(emu: SlackEmulator, client: WebClient, view: dict) -> None:
    view = {k: v for k, v in view.items() if v is not None}
    trigger = emu.new_trigger_id()
    error = api_error(lambda: client.views_open(trigger_id=trigger, view=view))
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"]
    # A rejected view does not burn the trigger.
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_trigger_expiry_and_single_use(
    emu: SlackEmulator, client: WebClient, clock: FakeClock
) -> None:
    fresh = emu.new_trigger_id()
    opened = client.views_open(trigger_id=fresh, view=modal())["view"]
    assert opened["id"].startswith("V") and opened["hash"]
    assert opened["root_view_id"] == opened["id"] and opened["previous_view_id"] is None
    reused = api_error(lambda: client.views_open(trigger_id=fresh, view=modal()))
    assert reused.response["error"] == "invalid_trigger_id"

    stale = emu.new_trigger_id()
    clock.advance(3.5)
    expired = api_error(lambda: client.views_open(trigger_id=stale, view=modal()))
    assert expired.response["error"] == "expired_trigger_id"
    unknown = api_error(lambda: client.views_open(trigger_id="1.2.nope", view=modal()))
    assert unknown.response["error"] == "invalid_trigger_id"


def test_views_update_hash_conflict(emu: SlackEmulator, client: WebClient) -> None:
    view = client.views_open(trigger_id=emu.new_trigger_id(), view=modal())["view"]
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=modal())["view"]
    assert updated["hash"] != view["hash"] and updated["id"] == view["id"]
    stale = api_error(
        lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=modal())
    )
    assert stale.response["error"] == "hash_conflict"
    missing = api_error(lambda: client.views_update(view_id="VNOPE", view=modal()))
    assert missing.response["error"] == "not_found"


def test_an_update_keeps_what_was_typed_in_inputs_it_repeats(
    emu: SlackEmulator, client: WebClient
) -> None:
    view = client.views_open(trigger_id=emu.new_trigger_id(),
                             view=modal([input_block("kept"), input_block("renewed~0")]))["view"]
    typed = {"kept": {"value": {"type": "plain_text_input", "value": "half a sentence"}},
             "renewed~0": {"value": {"type": "plain_text_input", "value": "the last answer"}}}
    emu.apply_view_response(view["id"], {"response_action": "errors",
                                         "errors": {"kept": "Not yet"}},
                            entered={"values": typed})
    assert emu.views[view["id"]]["state"]["values"] == typed  # an error keeps everything
    client.views_update(view_id=view["id"],
                        view=modal([input_block("kept"), input_block("renewed~1")]))
    assert emu.views[view["id"]]["state"]["values"] == {"kept": typed["kept"]}


def test_a_drawn_view_holds_its_initial_values(emu: SlackEmulator, client: WebClient) -> None:
    # A submission reports an untouched input's initial value, as Slack's does.
    title = {**input_block("title"), "element": {"type": "plain_text_input",
                                                 "action_id": "value", "initial_value": "Hi"}}
    when = {**input_block("when"), "element": {"type": "datetimepicker", "action_id": "value",
                                               "initial_date_time": 1796097120}}
    view = client.views_open(trigger_id=emu.new_trigger_id(),
                             view=modal([title, when, input_block("empty")]))["view"]
    assert emu.views[view["id"]]["state"]["values"] == {
        "title": {"value": {"type": "plain_text_input", "value": "Hi"}},
        "when": {"value": {"type": "datetimepicker", "selected_date_time": 1796097120}},
    }


def test_push_limit_and_close(emu: SlackEmulator, client: WebClient) -> None:
    root = client.views_open(trigger_id=emu.new_trigger_id(), view=modal())["view"]
    second = client.views_push(trigger_id=emu.new_trigger_id(root["id"]), view=modal())["view"]
    third = client.views_push(trigger_id=emu.new_trigger_id(second["id"]), view=modal())["view"]
    assert (third["root_view_id"], third["previous_view_id"]) == (root["id"], second["id"])
    error = api_error(
        lambda: client.views_push(trigger_id=emu.new_trigger_id(third["id"]), view=modal())
    )
    assert error.response["error"] == "push_limit_reached"

    assert emu.close_view(second["id"]) == [second["id"], third["id"]]
    assert emu.view_stack(root["id"]) == [root["id"]]
    error = api_error(lambda: client.views_update(view_id=third["id"], view=modal()))
    assert error.response["error"] == "not_found"


def test_home_tab_publish(emu: SlackEmulator, client: WebClient) -> None:
    home = {"type": "home", "blocks": [SECTION]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    second = client.views_publish(user_id="U1", view=home, hash=first["hash"])["view"]
    assert first["id"] == second["id"] and emu.views[first["id"]]["type"] == "home"


# ---- rate limits & injected failures -----------------------------------------------------


def test_post_burst_answers_429_with_retry_after(
    emu: SlackEmulator, client: WebClient, clock: FakeClock
) -> None:
    for i in range(3):
        client.chat_postMessage(channel="C1", text=str(i))
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="too fast"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "1"
    assert error.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C2", text="other channel")["ok"]

    clock.advance(1.0)
    assert client.chat_postMessage(channel="C1", text="later")["ok"]
    assert len(emu.calls_to("chat.postMessage")) == 5


def test_rate_limit_retry_handler_recovers(
    emu: SlackEmulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler sleeps Retry-After seconds; make that sleep move the emulator's clock instead.
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=clock.advance))
    client = WebClient(
        token=emu.bot_token,
        base_url=emu.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    for i in range(4):
        assert client.chat_postMessage(channel="C1", text=str(i))["ok"]
    statuses = [c.status for c in emu.calls_to("chat.postMessage", include_errors=True)]
    assert statuses == [200, 200, 200, 429, 200]


def test_fail_next(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("chat.postMessage", "channel_not_found")
    emu.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=7)
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response["error"] == "channel_not_found"
    error = api_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


# ---- files & users -----------------------------------------------------------------------


def test_files_v2_upload_flow(emu: SlackEmulator, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="post-mortem")["ts"]
    result = client.files_upload_v2(
        channel="C1",
        thread_ts=parent,
        content="# Post-mortem\n",
        filename="postmortem.md",
        title="Post-mortem",
        initial_comment="Draft attached",
    )
    assert result["file"]["title"] == "Post-mortem"
    [uploaded] = emu.uploaded_files
    assert uploaded["content"] == b"# Post-mortem\n" and uploaded["filename"] == "postmortem.md"
    assert (uploaded["channel_id"], uploaded["thread_ts"]) == ("C1", parent)
    reply = emu.thread("C1", parent)[-1]
    assert reply["files"][0]["id"] == uploaded["id"] and reply["text"] == "Draft attached"

    pending = client.files_getUploadURLExternal(filename="a.txt", length=3)
    assert pending["upload_url"].startswith(emu.base_url)
    not_uploaded = api_error(
        lambda: client.files_completeUploadExternal(files=[{"id": pending["file_id"]}])
    )
    assert not_uploaded.response["error"] == "upload_not_completed"
    unknown = api_error(lambda: client.files_completeUploadExternal(files=[{"id": "FNOPE"}]))
    assert unknown.response["error"] == "file_not_found"


def test_users_info_timezone(emu: SlackEmulator, client: WebClient) -> None:
    emu.add_user("U1", "alice", tz="America/New_York", email="alice@example.com")
    emu.add_user("U2", "bob", tz="Europe/Paris", tz_offset=3600)
    user = client.users_info(user="U1")["user"]
    expected = datetime.now(ZoneInfo("America/New_York")).utcoffset()
    assert expected is not None and user["tz_offset"] == int(expected.total_seconds())
    assert user["tz"] == "America/New_York" and user["profile"]["email"] == "alice@example.com"
    assert client.users_info(user="U2")["user"]["tz_offset"] == 3600
    assert client.users_lookupByEmail(email="alice@example.com")["user"]["id"] == "U1"
    missing = api_error(lambda: client.users_info(user="U404"))
    assert missing.response["error"] == "user_not_found"
