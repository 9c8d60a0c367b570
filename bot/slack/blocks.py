"""Small builders for Block Kit JSON. Pure functions returning dicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Block = dict[str, Any]
TEXT_LIMIT = 3000


def plain(text: str, emoji: bool = True) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text)}


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """Shorten display text to Slack's limit (display only: stored text is never cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack mrkdwn control characters, so user text cannot ping or link by accident."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header(text: str) -> Block:
    return {"type": "header", "text": plain(clip(text, 150))}


def section(
    text: str, block_id: str | None = None, accessory: dict[str, Any] | None = None
) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: list[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [mrkdwn(clip(f"*{label}*\n{value}", 2000)) for label, value in pairs[:10]],
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str | None = None, style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(clip(text, 75)),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(elements: list[dict[str, Any]], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def overflow(action_id: str, choices: list[tuple[str, str]]) -> dict[str, Any]:
    """A "…" menu of 2 to 5 (text, value) choices; a click sends the chosen value."""
    return {"type": "overflow", "action_id": action_id,
            "options": [option(text, value) for text, value in choices[:5]]}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(clip(text, 75)), "value": value}


def text_input(
    block_id: str,
    label: str,
    *,
    action_id: str = "value",
    initial: str | None = None,
    multiline: bool = False,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
    max_length: int = TEXT_LIMIT,
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(clip(placeholder, 150))
    return input_block(block_id, label, element, optional=optional, hint=hint)


def select(
    block_id: str,
    label: str,
    choices: list[tuple[str, str]],
    *,
    action_id: str = "value",
    initial: str | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    options = [option(text, value) for text, value in choices]
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    chosen = [o for o in options if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return input_block(block_id, label, element, optional=optional, hint=hint)


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(clip(label, 2000)),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(clip(hint, 2000))
    return block


def datetime_picker(
    block_id: str,
    label: str,
    *,
    initial: datetime | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "datetimepicker", "action_id": "value"}
    if initial:
        element["initial_date_time"] = int(initial.timestamp())
    return input_block(block_id, label, element, optional=optional, hint=hint)


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str,
    private_metadata: str = "",
    submit: str | None = "Save",
    close: str = "Cancel",
    external_id: str | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(clip(title, 24)),
        "close": plain(close),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit)
    if external_id:
        view["external_id"] = external_id
    return view


def slack_date(at: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A time every viewer sees in their own Slack time zone."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{fmt}|{fallback}>"


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_nobody yet_"
