"""The action-item list at 500 items, with GitHub and Jira configured (so open items carry
"Create issue" buttons): every page within Slack's 100 blocks, every item on exactly one page,
and the list redrawn on the page it showed after an edit."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.slack.ids import Action, ActionItemBlock, ActionItemField
from bot.slack.modals.action_item_views import PAGE_SIZE
from storage.tables import ActionItem
from tests.fakes.bot import INCIDENT_CHANNEL, WebhookBot

COUNT = 500


def add_items(hooks: WebhookBot, pm_id: int, count: int) -> list[int]:
    """Items of every kind the list draws: open, in progress, done, won't do, filed, failed."""
    now = hooks.bot.clock.now
    rows = []
    with hooks.bot.session() as session:
        for n in range(1, count + 1):
            row = ActionItem(
                postmortem_id=pm_id, number=n, owner_id="U0BOB", priority="P2",
                category="Detection", due_on=date(2026, 11, 1 + n % 28),
                title=f"Alert when pool usage of shard {n} is over 80% for 5 minutes",
                status=("open", "in_progress", "done", "wont_do")[n % 4],
                created_at=now, updated_at=now,
            )
            if row.status == "wont_do":
                row.wont_do_reason = "Shard retired " * 30
            if n % 7 == 0:
                row.tracker_url, row.tracker_ref = f"https://x.test/{n}", f"github:acme/x#{n}"
            elif n % 11 == 0:
                row.tracker_error = "github: GitHub answered 502"
            session.add(row)
            rows.append(row)
        session.commit()
        return [r.id for r in rows if r.id is not None]


def the_view(hooks: WebhookBot, view_id: str) -> dict[str, Any]:
    return hooks.bot.emu.views[view_id]


def open_list(hooks: WebhookBot, pm_id: int) -> dict[str, Any]:
    bot = hooks.bot
    before = len(bot.emu.calls_to("views.open"))
    bot.slack.block_action("U0ALICE", Action.OPEN_ACTION_ITEMS, value=str(pm_id),
                           channel_id=INCIDENT_CHANNEL)
    bot.settle()
    return the_view(hooks, bot.emu.wait_for("views.open", count=before + 1)[-1]
                    .response["view"]["id"])


def shown_items(view: dict[str, Any]) -> list[int]:
    prefix = str(ActionItemBlock.LIST_ITEM)
    return [int(b["block_id"].removeprefix(prefix)) for b in view["blocks"]
            if str(b.get("block_id", "")).startswith(prefix)]


def page_button(view: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    block = next((b for b in view["blocks"] if b.get("block_id") == block_id), None)
    return block["accessory"] if block else None


def turn(hooks: WebhookBot, view: dict[str, Any], block_id: str) -> dict[str, Any]:
    button = page_button(view, block_id)
    assert button is not None
    hooks.bot.slack.block_action("U0ALICE", Action.ACTION_ITEM_PAGE, value=button["value"],
                                 view=view, block_id=block_id)
    hooks.bot.settle()
    return the_view(hooks, view["id"])


def test_500_items_page_within_slacks_limits(hooks: WebhookBot, pm_id: int) -> None:
    ids = add_items(hooks, pm_id, COUNT)
    view = open_list(hooks, pm_id)
    seen: list[int] = []
    pages = 0
    while True:
        pages += 1
        assert len(view["blocks"]) <= 100
        seen += shown_items(view)
        filing = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] in (Action.TRACKER_GITHUB, Action.TRACKER_JIRA)]
        assert filing, "open items not yet filed offer the tracker buttons"
        if page_button(view, ActionItemBlock.LIST_NEXT) is None:
            break
        view = turn(hooks, view, ActionItemBlock.LIST_NEXT)
    assert seen == ids
    assert pages == COUNT // PAGE_SIZE
    assert "Items 481–500 of 500" in str(view["blocks"])
    # And back again.
    view = turn(hooks, view, ActionItemBlock.LIST_PREVIOUS)
    assert shown_items(view) == ids[-2 * PAGE_SIZE:-PAGE_SIZE]
    assert [c.method for c in hooks.bot.emu.calls if not c.ok] == []


def test_an_edit_redraws_the_page_it_was_made_on(hooks: WebhookBot, pm_id: int) -> None:
    ids = add_items(hooks, pm_id, 3 * PAGE_SIZE)
    bot = hooks.bot
    view = turn(hooks, open_list(hooks, pm_id), ActionItemBlock.LIST_NEXT)
    target = shown_items(view)[0]
    before = len(bot.emu.calls_to("views.push"))
    bot.slack.block_action("U0ALICE", Action.ACTION_ITEM_EDIT, value=f"{pm_id}:{target}",
                           view=view)
    form = the_view(hooks, bot.emu.wait_for("views.push", count=before + 1)[-1]
                    .response["view"]["id"])
    values = {b["block_id"]: {"value": (b["element"].get("initial_value")
                                        or b["element"].get("initial_date")
                                        or b["element"].get("initial_user")
                                        or (b["element"].get("initial_option") or {})
                                        .get("value"))}
              for b in form["blocks"] if b["type"] == "input"}
    values[ActionItemField.TITLE] = {"value": "Alert on shard pool usage, every shard"}
    response = bot.slack.view_submission("U0ALICE", form, values)
    assert response.status == 200 and not response.body.strip(b"{} "), response.text
    bot.settle()
    redrawn = the_view(hooks, view["id"])
    assert shown_items(redrawn) == ids[PAGE_SIZE:2 * PAGE_SIZE]
    assert "every shard" in str(redrawn["blocks"])
