"""Paging a list modal: "‹ Earlier" above a page and "Later ›" below it, so any number of
entries stays within Slack's 100 blocks per modal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from flows.timeline import Page


def around(
    shown: Page[Any], *, noun: str, action: str, pm_id: int, prev_block: str, next_block: str
) -> tuple[list[bk.Block], list[bk.Block]]:
    """The blocks to put before and after a page's items (none on a single page)."""
    before: list[bk.Block] = []
    after: list[bk.Block] = []
    if shown.has_prev:
        last = shown.first + len(shown.items) - 1
        before.append(bk.section(
            f"{noun} {shown.first}–{last} of {shown.total}", block_id=prev_block,
            accessory=bk.button("‹ Earlier", action, f"{pm_id}:{shown.number - 1}"),
        ))
    if shown.has_next:
        after.append(bk.section(
            f"Page {shown.number + 1} of {shown.count}", block_id=next_block,
            accessory=bk.button("Later ›", action, f"{pm_id}:{shown.number + 1}"),
        ))
    return before, after


def tail_number(value: str) -> int:
    """The number after the post-mortem in a button's "<pm_id>:<n>" (a page, a row id); 0 when
    unreadable (the first page; no row has it)."""
    page = value.partition(":")[2]
    return int(page) if page.isdigit() else 0


def adds_of(ctx: Ctx) -> int:
    """How many times the list modal a request came from added something (its Meta)."""
    count = ctx.meta.extra.get("adds")
    return count if isinstance(count, int) and 0 <= count < 100_000 else 0


def redraw(ctx: Ctx, view: Callable[[], dict[str, Any]]) -> None:
    """Replace the list modal a click came from with a fresh `view()` (built only when there
    is one); the hash makes Slack refuse it if someone else redrew the modal meanwhile."""
    if ctx.view.get("id"):
        ctx.client.views_update(view_id=ctx.view["id"], hash=ctx.view.get("hash"), view=view())
