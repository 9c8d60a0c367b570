"""The App Home of a workspace with 10,000 post-mortems and 100,000 action items stays within
Slack's limits (the emulator rejects what Slack rejects): 100 blocks, 3000 characters a text,
3000 characters of private_metadata, on the first page, the last one and filtered."""

from __future__ import annotations

import json
from typing import Any

from bench.tracker_data import VIEWER, fill
from bot.slack.home.views import ITEMS_SHOWN, OWED_SHOWN, PAGE_SIZE
from bot.slack.ids import Action, HomeBlock
from tests.harness import Harness

POSTMORTEMS, ITEMS = 10_000, 100_000


def published(bot: Harness) -> dict[str, Any]:
    call = bot.emu.calls_to("views.publish")[-1]
    assert call.response["ok"], call.response
    home = bot.emu.home_of(VIEWER)
    assert home is not None
    return home


def check_limits(home: dict[str, Any]) -> None:
    assert len(home["blocks"]) <= 100
    assert len(home["private_metadata"]) <= 3000
    for block in home["blocks"]:
        assert len((block.get("text") or {}).get("text", "")) <= 3000


def rows(home: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in home["blocks"]
            if str(b.get("block_id", "")).startswith(HomeBlock.ROW)]


def test_home_at_ten_thousand_postmortems(bot: Harness) -> None:
    fill(bot.deps.engine, postmortems=POSTMORTEMS, items=ITEMS)
    bot.slack.app_home_opened(VIEWER)
    bot.settle()
    home = published(bot)
    check_limits(home)
    assert len(rows(home)) == PAGE_SIZE
    assert rows(home)[0] == f"{HomeBlock.ROW}{POSTMORTEMS}"  # the newest incident first
    body = json.dumps(home["blocks"])
    assert f"of {POSTMORTEMS:,}" in body
    assert len([b for b in home["blocks"]
                if str(b.get("block_id", "")).startswith(HomeBlock.ITEM)]) == ITEMS_SHOWN
    assert len([b for b in home["blocks"]
                if str(b.get("block_id", "")).startswith(HomeBlock.OWED)]) == OWED_SHOWN
    assert "<!channel>" not in body

    last = (POSTMORTEMS - 1) // PAGE_SIZE
    bot.slack.home_action(VIEWER, Action.HOME_PAGE, value=f"page:{last}")
    bot.settle()
    home = published(bot)
    check_limits(home)
    assert rows(home)[-1] == f"{HomeBlock.ROW}1"

    filters = next(b for b in home["blocks"] if b.get("block_id") == HomeBlock.FILTERS)
    service = next(e for e in filters["elements"] if e["action_id"] == Action.HOME_SERVICE)
    assert len(service["options"]) == 61  # "any" and the 60 services
    bot.slack.home_action(VIEWER, Action.HOME_SERVICE, value=service["options"][1]["value"])
    bot.settle()
    home = published(bot)
    check_limits(home)
    assert json.loads(home["private_metadata"])["service"].startswith("service-")
    assert len(rows(home)) == PAGE_SIZE
