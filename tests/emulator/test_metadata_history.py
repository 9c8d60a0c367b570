"""Message metadata and conversations.history/replies as Slack serves them (real WebClient)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.metadata import Metadata

from slack_emulator import SlackEmulator

META = {"event_type": "postmortem_started", "event_payload": {"pm_id": 42, "sev": "SEV2"}}


def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def test_metadata_is_stored_and_only_listed_on_request(
    emu: SlackEmulator, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="C1", text="Post-mortem started", metadata=META)
    assert posted["message"]["metadata"] == META
    assert emu.messages("C1")[0]["metadata"] == META

    plain = client.conversations_history(channel="C1")["messages"][0]
    assert "metadata" not in plain
    full = client.conversations_history(channel="C1", include_all_metadata=True)["messages"][0]
    assert full["metadata"] == META


def test_metadata_as_sdk_model_or_json_string(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(
        channel="C1",
        text="model",
        metadata=Metadata(event_type="pm_closed", event_payload={"pm_id": 1}),
    )
    client.api_call(
        "chat.postMessage",
        data={"channel": "C1", "text": "form", "metadata": json.dumps(META)},
    )
    stored = [m["metadata"] for m in emu.messages("C1")]
    assert stored == [{"event_type": "pm_closed", "event_payload": {"pm_id": 1}}, META]


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ("{not json", "invalid_metadata_format"),
        ({"event_type": "pm_started", "event_payload": "not an object"}, "invalid_metadata_format"),
        ({"event_type": "pm_started"}, "invalid_metadata_format"),
        (
            {"event_type": "pm_started", "event_payload": {"doc": "x" * 9000}},
            "metadata_too_large",
        ),
    ],
    ids=["bad-json", "payload-not-object", "payload-missing", "too-large"],
)
def test_malformed_metadata_rejected(
    emu: SlackEmulator, client: WebClient, metadata: Any, error: str
) -> None:
    data = {"channel": "C1", "text": "x", "metadata": metadata}
    if isinstance(metadata, str):
        failure = api_error(lambda: client.api_call("chat.postMessage", data=data))
    else:
        failure = api_error(lambda: client.api_call("chat.postMessage", json=data))
    assert failure.response["error"] == error
    assert emu.messages("C1") == []


def test_invalid_event_type_is_a_warning_and_metadata_is_dropped(
    emu: SlackEmulator, client: WebClient
) -> None:
    bad = {"event_type": "postmortem.started", "event_payload": {"pm_id": 1}}
    posted = client.chat_postMessage(channel="C1", text="x", metadata=bad)
    assert posted["response_metadata"]["warnings"] == ["invalid_metadata_schema"]
    assert "metadata" not in emu.messages("C1")[0]
    assert emu.calls_to("chat.postMessage")[0].notes


def test_update_replaces_or_keeps_metadata(emu: SlackEmulator, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="v1", metadata=META)["ts"]
    client.chat_update(channel="C1", ts=ts, text="v2")
    assert emu.messages("C1")[0]["metadata"] == META
    closed = {"event_type": "postmortem_closed", "event_payload": {"pm_id": 42}}
    updated = client.chat_update(channel="C1", ts=ts, text="v3", metadata=closed)
    assert updated["message"]["metadata"] == closed
    error = api_error(lambda: client.chat_update(channel="C1", ts=ts, text="v4", metadata="[1]"))
    assert error.response["error"] == "invalid_metadata_format"


def _history_texts(client: WebClient, **kwargs: Any) -> list[str]:
    return [m["text"] for m in client.conversations_history(channel="C1", **kwargs)["messages"]]


def test_history_time_window_is_newest_first(emu: SlackEmulator, client: WebClient) -> None:
    for i in range(1, 6):
        emu.post_as_user("C1", "U1", f"m{i}", at=1_700_000_000 + i)
    assert _history_texts(client) == ["m5", "m4", "m3", "m2", "m1"]
    window = {"oldest": "1700000002.000000", "latest": "1700000004.000000"}
    assert _history_texts(client, **window) == ["m3"]
    assert _history_texts(client, inclusive=True, **window) == ["m4", "m3", "m2"]


def test_history_cursor_pagination_survives_new_posts(
    emu: SlackEmulator, client: WebClient
) -> None:
    for i in range(1, 6):
        emu.post_as_user("C1", "U1", f"m{i}", at=1_700_000_000 + i)
    first = client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m5", "m4"] and first["has_more"]
    cursor = first["response_metadata"]["next_cursor"]
    # A message arriving between pages must not shift the next page.
    client.chat_postMessage(channel="C1", text="new")
    second = client.conversations_history(channel="C1", limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m3", "m2"]
    third = client.conversations_history(
        channel="C1", limit=2, cursor=second["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in third["messages"]] == ["m1"]
    assert not third["has_more"] and third["response_metadata"]["next_cursor"] == ""
    bad = api_error(lambda: client.conversations_history(channel="C1", cursor="garbage"))
    assert bad.response["error"] == "invalid_cursor"


def test_sdk_paginator_walks_all_history(emu: SlackEmulator, client: WebClient) -> None:
    for i in range(7):
        emu.post_as_user("C1", "U1", f"m{i}", at=1_700_000_000 + i)
    # SlackResponse iterates by refilling itself, so read each page as it comes.
    sizes = [len(page["messages"]) for page in client.conversations_history(channel="C1", limit=3)]
    assert sizes == [3, 3, 1]


def test_replies_oldest_first_with_metadata_and_pages(
    emu: SlackEmulator, client: WebClient
) -> None:
    parent = emu.post_as_user("C1", "U1", "incident resolved", at=1_700_000_000)
    for i in range(3):
        client.chat_postMessage(channel="C1", text=f"r{i}", thread_ts=parent, metadata=META)
    page = client.conversations_replies(channel="C1", ts=parent, limit=2)
    assert [m["text"] for m in page["messages"]] == ["incident resolved", "r0"]
    assert all("metadata" not in m for m in page["messages"])
    rest = client.conversations_replies(
        channel="C1",
        ts=parent,
        limit=2,
        cursor=page["response_metadata"]["next_cursor"],
        include_all_metadata=True,
    )
    assert [m["text"] for m in rest["messages"]] == ["r1", "r2"]
    assert all(m["metadata"] == META for m in rest["messages"])
    # Thread replies stay out of the channel's history.
    assert _history_texts(client) == ["incident resolved"]


def test_dm_history_after_open_or_post_by_user_id(emu: SlackEmulator, client: WebClient) -> None:
    emu.add_user("U1", "alice")
    client.chat_postMessage(channel="U1", text="your action item is due", metadata=META)
    im = client.conversations_open(users="U1")["channel"]["id"]
    client.chat_postMessage(channel=im, text="second reminder")
    history = client.conversations_history(channel=im, include_all_metadata=True)["messages"]
    assert [m["text"] for m in history] == ["second reminder", "your action item is due"]
    assert history[1]["metadata"] == META

    emu.add_user("U2", "bob")
    fresh = client.conversations_open(users="U2")["channel"]["id"]
    assert client.conversations_history(channel=fresh)["messages"] == []
