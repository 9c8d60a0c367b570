"""Reach every modal the bot offers, the way a user would: click every button and menu option
on the control message, then inside each modal that opens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.harness import Harness

Element = tuple[str, Any]  # (action_id, value to send)


def elements(blocks: list[dict[str, Any]]) -> Iterator[Element]:
    for block in blocks or []:
        found = list(block.get("elements") or [])
        if block.get("accessory"):
            found.append(block["accessory"])
        for element in found:
            kind, action_id = element.get("type"), element.get("action_id")
            if not action_id:
                continue
            if kind == "button":
                yield action_id, element.get("value")
            elif kind in ("overflow", "static_select"):
                for option in element.get("options") or []:
                    yield action_id, option.get("value")


def views_by_callback(
    bot: Harness, user: str, control: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Every modal reachable in two clicks from the control message, by callback_id."""
    found: dict[str, dict[str, Any]] = {}
    seen_views: set[str] = set()
    for action_id, value in elements(control["blocks"]):
        before = set(bot.emu.views)
        bot.slack.block_action(user, action_id, value=value, message=control,
                               channel_id="C0INCIDENT")
        bot.settle()
        for view_id in set(bot.emu.views) - before:
            view = bot.emu.views[view_id]
            found.setdefault(str(view.get("callback_id")), view)
            if view_id in seen_views:
                continue
            seen_views.add(view_id)
            for inner_id, inner_value in elements(view.get("blocks") or []):
                if "delete" in inner_id:
                    continue  # keep the fixture's parts: deleting is fuzzed as a button anyway
                before_inner = set(bot.emu.views)
                bot.slack.block_action(user, inner_id, value=inner_value, view=view)
                bot.settle()
                for pushed in set(bot.emu.views) - before_inner:
                    pushed_view = bot.emu.views[pushed]
                    found.setdefault(str(pushed_view.get("callback_id")), pushed_view)
    return {k: v for k, v in found.items() if _inputs(v)}


def _inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view.get("blocks") or [] if b.get("type") == "input"]


def inputs(view: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(block_id, action_id, element) of every input of a modal."""
    return [(b["block_id"], b["element"].get("action_id") or "value", b["element"])
            for b in _inputs(view)]
