"""Clicking through a paged list modal the way a person would, checking every page against
Slack's limits on the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.harness import Harness

MODAL_BLOCKS = 100
PRIVATE_METADATA = 3000


def page_through(
    bot: Harness, user_id: str, view_id: str, *, action: str, next_block: str,
    items: Callable[[dict[str, Any]], list[str]], pages: int = 40,
) -> list[str]:
    """`items(view)` of every page, from the one shown to the last ("Later ›" until none)."""
    seen: list[str] = []
    for _ in range(pages):
        view = bot.emu.views[view_id]
        assert len(view["blocks"]) <= MODAL_BLOCKS
        assert len(view["private_metadata"]) <= PRIVATE_METADATA
        seen += items(view)
        nav = next((b for b in view["blocks"] if b.get("block_id") == next_block), None)
        if nav is None:
            return seen
        bot.slack.block_action(user_id, action, view=view_id, value=nav["accessory"]["value"],
                               block_id=next_block)
        bot.settle()
    raise AssertionError(f"still more pages after {pages}")


def section_texts(view: dict[str, Any], needle: str) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"]
            if b["type"] == "section" and needle in b["text"]["text"]]
