"""The App Home over signed HTTP against the emulator: what opening it publishes, the DMs'
buttons answered from it, filters and pages, refreshes after changes elsewhere, workspaces."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import select

from bot.slack.home.views import PAGE_SIZE
from bot.slack.ids import Action, ActionItemBlock, HomeBlock
from bot.slack.reminders.dm_views import status_value
from storage.tables import ActionItem, Postmortem
from storage.workspace_tables import HomeTab
from tests.bot.opening import facts, open_postmortem
from tests.bot.test_action_items import add_item, items, start_pm, thread_notes
from tests.harness import Harness


def open_home(bot: Harness, user: str, client: Any = None) -> dict[str, Any]:
    before = len(bot.emu.calls_to("views.publish"))
    response = (client or bot.slack).app_home_opened(user)
    assert response.status == 200
    bot.settle()
    assert len(bot.emu.calls_to("views.publish")) > before
    return home_of(bot, user)


def home_of(bot: Harness, user: str) -> dict[str, Any]:
    # One emulated workspace: a request "from" another team is answered in the same one.
    home = bot.emu.home_of(user)
    assert home is not None
    return home


def click(bot: Harness, user: str, action: str, value: str) -> dict[str, Any]:
    assert bot.slack.home_action(user, action, value=value).status == 200
    bot.settle()
    return home_of(bot, user)


def text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def block_ids(view: dict[str, Any], prefix: str) -> list[str]:
    return [b["block_id"].removeprefix(prefix) for b in view["blocks"]
            if str(b.get("block_id", "")).startswith(prefix)]


def select_option(view: dict[str, Any], action_id: str, value: str) -> str:
    """The value of the option labelled `value`'s choice, as the select offers it."""
    [filters] = [b for b in view["blocks"] if b.get("block_id") == HomeBlock.FILTERS]
    element = next(e for e in filters["elements"] if e["action_id"] == action_id)
    return next(o["value"] for o in element["options"] if o["value"].endswith(f":{value}"))


def bobs_item_in_his_home(bot: Harness) -> tuple[int, ActionItem]:
    """Alice's post-mortem with one item for bob, who has opened his Home."""
    pm_id = start_pm(bot)
    add_item(bot, pm_id, owner="U0BOB")
    [item] = items(bot)
    open_home(bot, "U0BOB")
    return pm_id, item


def test_opening_the_home_shows_your_work_and_the_tracker(bot: Harness) -> None:
    pm_id = start_pm(bot)  # alice's, a draft
    add_item(bot, pm_id, owner="U0BOB", due=date(2026, 11, 23))
    open_postmortem(bot, facts("Their own outage", channel_id="C0ENG"), team_id="T0OTHER")
    bot.clock.advance(days=3)

    bob = open_home(bot, "U0BOB")
    [item] = items(bot)
    assert block_ids(bob, HomeBlock.ITEM) == [str(item.id)]
    assert ":warning: *overdue* since 2026-11-23" in text(bob)
    buttons = next(b for b in bob["blocks"]
                   if b.get("block_id") == f"{HomeBlock.ITEM_ACTIONS}{item.id}")["elements"]
    # The DMs' own buttons: same action ids, same values.
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (Action.NUDGE_DONE, str(item.id)), (Action.NUDGE_PROGRESS, str(item.id)),
        (Action.NUDGE_SNOOZE, str(item.id)), (Action.NUDGE_DUE, str(item.id)),
        (Action.ACTION_ITEM_STATUS, status_value(item, "wont_do")),
    ]
    assert "No post-mortem waits for you" in text(bob)
    assert block_ids(bob, HomeBlock.ROW) == [str(pm_id)]  # not the other workspace's
    assert "Their own outage" not in text(bob)

    alice = open_home(bot, "U0ALICE")
    assert block_ids(alice, HomeBlock.OWED) == [str(pm_id)]
    assert "No open action items are yours" in text(alice)
    row = next(b for b in alice["blocks"] if b.get("block_id") == f"{HomeBlock.ROW}{pm_id}")
    assert "1 action item, 0% done, :warning: 1 overdue" in row["text"]["text"]
    assert "author <@U0ALICE>" in row["text"]["text"] and "Draft" in row["text"]["text"]
    with bot.session() as session:
        assert {t.user_id for t in session.exec(select(HomeTab))} == {"U0ALICE", "U0BOB"}


def test_the_messages_tab_publishes_nothing(bot: Harness) -> None:
    bot.slack.app_home_opened("U0ALICE", tab="messages")
    bot.settle()
    assert bot.emu.calls_to("views.publish") == []


def test_done_from_the_home_saves_notes_and_publishes_it_again(bot: Harness) -> None:
    pm_id, item = bobs_item_in_his_home(bot)
    home = click(bot, "U0BOB", Action.NUDGE_DONE, str(item.id))
    [item] = items(bot)
    assert item.status == "done"
    assert any("*AI-1*" in n and "done" in n for n in thread_notes(bot, pm_id))
    assert block_ids(home, HomeBlock.ITEM) == []
    assert home["blocks"][0] == {"type": "context", "elements": [
        {"type": "mrkdwn", "text": ":white_check_mark: AI-1 is done."}]}
    assert "100% done" in text(home)


def test_wont_do_from_the_home_asks_why_then_publishes_it_again(bot: Harness) -> None:
    _, item = bobs_item_in_his_home(bot)
    opened = len(bot.emu.calls_to("views.open"))
    bot.slack.home_action("U0BOB", Action.ACTION_ITEM_STATUS,
                          value=status_value(item, "wont_do"))
    call = bot.emu.wait_for("views.open", count=opened + 1)[-1]
    modal = bot.emu.views[call.response["view"]["id"]]
    published = len(bot.emu.calls_to("views.publish"))
    bot.slack.view_submission("U0BOB", modal, {
        ActionItemBlock.WONT_DO_REASON: {"value": "Superseded by the pool manager"}})
    bot.settle()
    [item] = items(bot)
    assert (item.status, item.wont_do_reason) == ("wont_do", "Superseded by the pool manager")
    # The outbox published the Home again: the item is gone from it.
    assert len(bot.emu.calls_to("views.publish")) > published
    assert block_ids(home_of(bot, "U0BOB"), HomeBlock.ITEM) == []


def test_snooze_and_a_stranger_from_the_home(bot: Harness) -> None:
    _, item = bobs_item_in_his_home(bot)
    home = click(bot, "U0BOB", Action.NUDGE_SNOOZE, str(item.id))
    assert ":zzz: AI-1 is snoozed for a week." in text(home)
    # Carol opens her Home and forges a click on bob's item: refused, nothing changes.
    open_home(bot, "U0CAROL")
    click(bot, "U0CAROL", Action.NUDGE_DONE, str(item.id))
    assert items(bot)[0].status == "open"


def test_a_change_made_elsewhere_publishes_the_owners_home(bot: Harness) -> None:
    pm_id = start_pm(bot)
    open_home(bot, "U0BOB")
    open_home(bot, "U0CAROL")
    published = {u: len([c for c in bot.emu.calls_to("views.publish")
                         if c.args.get("user_id") == u]) for u in ("U0BOB", "U0CAROL")}
    add_item(bot, pm_id, owner="U0BOB")  # alice assigns bob an item, in the thread's modal
    [item] = items(bot)
    assert block_ids(home_of(bot, "U0BOB"), HomeBlock.ITEM) == [str(item.id)]
    after = {u: len([c for c in bot.emu.calls_to("views.publish")
                     if c.args.get("user_id") == u]) for u in ("U0BOB", "U0CAROL")}
    assert after["U0BOB"] == published["U0BOB"] + 1
    assert after["U0CAROL"] == published["U0CAROL"]  # not hers: her Home is left alone


def test_filters_and_pages(bot: Harness) -> None:
    for n in range(PAGE_SIZE + 5):
        open_postmortem(bot, facts(f"Outage {n}", severity=1 + n % 2,
                                   services=("api",) if n % 5 == 0 else ("web",)), post=False)
    home = open_home(bot, "U0ALICE")
    assert len(block_ids(home, HomeBlock.ROW)) == PAGE_SIZE
    assert f"1–{PAGE_SIZE} of {PAGE_SIZE + 5}" in text(home)

    home = click(bot, "U0ALICE", Action.HOME_PAGE, "page:1")
    assert len(block_ids(home, HomeBlock.ROW)) == 5
    assert json.loads(home["private_metadata"]) == {"page": 1}

    home = click(bot, "U0ALICE", Action.HOME_SERVICE,
                 select_option(home, Action.HOME_SERVICE, "api"))
    assert len(block_ids(home, HomeBlock.ROW)) == 5  # outages 0, 5, 10, 15, 20; page reset
    assert json.loads(home["private_metadata"]) == {"service": "api"}
    home = click(bot, "U0ALICE", Action.HOME_SEVERITY,
                 select_option(home, Action.HOME_SEVERITY, "1"))
    assert len(block_ids(home, HomeBlock.ROW)) == 3  # 0, 10, 20
    filters = next(b for b in home["blocks"] if b.get("block_id") == HomeBlock.FILTERS)
    chosen = {e["action_id"]: e.get("initial_option", {}).get("value")
              for e in filters["elements"]}
    assert chosen[Action.HOME_SERVICE] == "service:api"
    assert chosen[Action.HOME_SEVERITY] == "severity:1"

    # Opened again later, the Home keeps the filters; a forged option means "any".
    assert len(block_ids(open_home(bot, "U0ALICE"), HomeBlock.ROW)) == 3
    home = click(bot, "U0ALICE", Action.HOME_STATUS, "status:nonsense")
    assert json.loads(home["private_metadata"]) == {"service": "api", "severity": "1"}
    home = click(bot, "U0ALICE", Action.HOME_CLEAR, "clear")
    assert len(block_ids(home, HomeBlock.ROW)) == PAGE_SIZE


def test_another_workspace_sees_its_own(bot: Harness) -> None:
    open_postmortem(bot, facts("Ours"))
    open_postmortem(bot, facts("Theirs", channel_id="C0ENG"), team_id="T0OTHER",
                    owner_id="U0DAN")
    theirs = bot.slack.for_team("T0OTHER")
    home = open_home(bot, "U0DAN", theirs)
    assert "Theirs" in text(home) and "Ours" not in text(home)
    with bot.session() as session:
        tab = session.exec(select(HomeTab).where(HomeTab.user_id == "U0DAN")).one()
        assert tab.team_id == "T0OTHER"
        pms = session.exec(select(Postmortem)).all()
    assert len(pms) == 2


def test_user_text_is_escaped_and_clipped(bot: Harness) -> None:
    pm_id = start_pm(bot)
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        pm.users_affected = "<!channel> everyone " + "x" * 500
        session.add(pm)
        session.commit()
    add_item(bot, pm_id, owner="U0BOB", title="Page <@U0CAROL> when <!here> pool > 80% " * 60)
    home = open_home(bot, "U0BOB")
    body = text(home)
    assert "<!channel>" not in body and "<!here>" not in body and "<@U0CAROL>" not in body
    assert "&lt;!channel&gt;" in body
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in home["blocks"])
    assert items(bot)[0].owner_id == "U0BOB"
