"""Builders for the interaction payloads Slack sends to apps (block_actions, view_submission…)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

# How each interactive element reports its value in block_actions and view state.
_SELECTED_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
_SELECTED_OPTIONS = {"multi_static_select", "multi_external_select", "checkboxes"}
_SCALAR = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "plain_text_input": "value",
}


def user_dict(user_id: str, team_id: str) -> dict[str, str]:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def iter_elements(blocks: Any) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(block_id, element) for every interactive element in a surface."""
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        block_id = block.get("block_id")
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif block.get("type") == "section":
            candidates = [block.get("accessory")]
        elif block.get("type") == "input":
            candidates = [block.get("element")]
        for element in candidates:
            if isinstance(element, dict):
                yield block_id, element


def find_element(blocks: Any, action_id: str) -> tuple[str | None, dict[str, Any] | None]:
    for block_id, element in iter_elements(blocks):
        if element.get("action_id") == action_id:
            return block_id, element
    return None, None


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def element_value(element: dict[str, Any] | None, value: Any) -> dict[str, Any]:
    """The value fields Slack attaches for `element` when the user picked `value`."""
    kind = (element or {}).get("type", "button")
    if kind == "button":
        result: dict[str, Any] = {"type": kind}
        if value is not None:
            result["value"] = value
        elif element and "value" in element:
            result["value"] = element["value"]
        if element and isinstance(element.get("text"), dict):
            result["text"] = element["text"]
        return result
    if kind in _SELECTED_OPTION:
        option = next((o for o in _options(element or {}) if o.get("value") == value), None)
        return {"type": kind, "selected_option": option or {"value": value}}
    if kind in _SELECTED_OPTIONS:
        values = value if isinstance(value, list) else [value]
        chosen = [o for o in _options(element or {}) if o.get("value") in values]
        return {"type": kind, "selected_options": chosen}
    return {"type": kind, _SCALAR.get(kind, "value"): value}


def normalize_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Let tests write {"block": {"action": "text"}}: wrap bare values as Slack state entries."""
    elements = {
        (block_id, element.get("action_id")): element
        for block_id, element in iter_elements(view.get("blocks"))
    }
    state: dict[str, Any] = {}
    for block_id, actions in values.items():
        state[block_id] = {}
        for action_id, entry in actions.items():
            if isinstance(entry, dict) and "type" in entry:
                state[block_id][action_id] = entry
            else:
                element = elements.get((block_id, action_id)) or {"type": "plain_text_input"}
                state[block_id][action_id] = element_value(element, entry)
    return state


def action_ts() -> str:
    return f"{time.time():.6f}"


def block_actions(
    *,
    team_id: str,
    app_id: str,
    user_id: str,
    trigger_id: str,
    action: dict[str, Any],
    channel_id: str | None,
    message: dict[str, Any] | None,
    view: dict[str, Any] | None,
    response_url: str | None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_dict(user_id, team_id),
        "api_app_id": app_id,
        "token": "emulator-verification-token",
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "emulator"},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
        payload["state"] = view.get("state", {"values": {}})
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": (message or {}).get("ts"),
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["state"] = {"values": {}}
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
    if message is not None:
        payload["message"] = message
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def event_callback(
    *,
    team_id: str,
    app_id: str,
    bot_user_id: str,
    event: dict[str, Any],
    event_id: str,
    event_time: int,
) -> dict[str, Any]:
    """The Events API envelope, as POSTed to the request URL or carried by Socket Mode."""
    return {
        "token": "emulator-verification-token",
        "team_id": team_id,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def slash_command(
    *,
    team_id: str,
    app_id: str,
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    channel_name: str | None,
    user_name: str | None,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """A slash command's fields (form-encoded over HTTP, a JSON object over Socket Mode)."""
    return {
        "token": "emulator-verification-token",
        "team_id": team_id,
        "team_domain": "emulator",
        "channel_id": channel_id,
        "channel_name": channel_name or channel_id.lower(),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
