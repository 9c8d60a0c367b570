"""Validation rules as pure functions."""

from __future__ import annotations

from typing import Any

from slack_emulator.block_rules import block_problems, view_problems
from slack_emulator.rules import (
    auth_error,
    hash_error,
    message_rejection,
    push_error,
    rate_limited,
    trigger_error,
)


def button(action_id: str = "go", text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        **extra,
    }


def test_simple_rules() -> None:
    assert auth_error(None, ["t"]) == "not_authed"
    assert auth_error("x", ["t"]) == "invalid_auth"
    assert auth_error("t", ["t"]) is None
    assert trigger_error(None, False, 10, 3) == "invalid_trigger_id"
    assert trigger_error(9, True, 10, 3) == "invalid_trigger_id"
    assert trigger_error(5, False, 10, 3) == "expired_trigger_id"
    assert trigger_error(8, False, 10, 3) is None
    assert hash_error("a", "b") == "hash_conflict"
    assert hash_error(None, "b") is None
    assert push_error(3) == "push_limit_reached" and push_error(2) is None
    assert rate_limited([9.1, 9.5, 9.9], 10.0, 3)
    assert not rate_limited([8.9, 9.5, 9.9], 10.0, 3)


def test_message_rejections() -> None:
    assert message_rejection(None, None).error == "no_text"  # type: ignore[union-attr]
    assert message_rejection("x" * 40001, None).error == "msg_too_long"  # type: ignore[union-attr]
    assert message_rejection("x", "[not json").error == "invalid_blocks_format"  # type: ignore[union-attr]
    assert (
        message_rejection("x", [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}])
        is None
    )


def test_block_level_limits() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "a"}, "block_id": "b"}
    assert block_problems([section, section], "message")  # duplicate block_id
    assert block_problems([{**section, "block_id": "x" * 256}], "message")
    assert block_problems(
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "message"
    )
    assert block_problems(
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "message"
    )
    assert block_problems([{"type": "teleporter"}], "message")


def test_element_limits() -> None:
    def actions(*elements: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"type": "actions", "elements": list(elements)}]

    assert block_problems(actions(button(text="x" * 76)), "message")
    assert block_problems(actions(button(value="v" * 2001)), "message")
    assert block_problems(actions(button(url="https://x/" + "a" * 3000)), "message")
    assert block_problems(actions(button("a"), button("a")), "message")  # same block
    option = {"text": {"type": "plain_text", "text": "o"}, "value": "o"}
    select = {
        "type": "static_select",
        "action_id": "s",
        "options": [option] * 101,
        "placeholder": {"type": "plain_text", "text": "Pick"},
    }
    assert block_problems(actions(select), "message")
    long_option = {"text": {"type": "plain_text", "text": "o" * 76}, "value": "o"}
    assert block_problems(actions({**select, "options": [long_option]}), "message")
    # Rows that reuse an action_id in separate blocks are fine (Slack scopes it per block).
    assert block_problems(actions(button("a")) + actions(button("a")), "message") == []


def test_view_rules() -> None:
    text_input = {
        "type": "input",
        "label": {"type": "plain_text", "text": "L"},
        "element": {"type": "plain_text_input", "action_id": "a", "max_length": 3001},
    }
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "T"},
        "submit": {"type": "plain_text", "text": "S"},
        "blocks": [text_input],
    }
    assert view_problems(view)  # max_length over 3000
    assert view_problems({**view, "callback_id": "c" * 256})
    assert view_problems({**view, "close": {"type": "plain_text", "text": "c" * 25}})
    ok_view = {
        **view,
        "blocks": [{**text_input, "element": {"type": "plain_text_input", "action_id": "a"}}],
    }
    assert view_problems(ok_view) == []
    assert view_problems({"type": "home", "blocks": [text_input] * 0 + [{"type": "divider"}]}) == []
