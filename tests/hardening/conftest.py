"""One running bot for the whole hardening module: a post-mortem with its control message, and
every modal reachable from it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.bot.opening import open_postmortem
from tests.fakes.bot import WebhookBot, webhook_bot
from tests.hardening.crawl import views_by_callback
from tests.harness import FakeClock, Harness


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookBot]:
    tmp = tmp_path_factory.mktemp("fuzz")
    clock = FakeClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    with webhook_bot(f"sqlite:///{tmp / 'fuzz.db'}", clock, Path(tmp)) as running:
        yield running


@pytest.fixture(scope="module")
def bot(hooks: WebhookBot) -> Harness:
    return hooks.bot


@pytest.fixture(scope="module")
def control(bot: Harness) -> dict[str, Any]:
    open_postmortem(bot)
    return next(m for m in bot.emu.messages("C0INCIDENT") if m.get("blocks"))


@pytest.fixture(scope="module")
def modals(bot: Harness, control: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = views_by_callback(bot, "U0ALICE", control)
    found["pm.start.submit"] = bot.open_modal("U0ALICE", "start Fuzzed outage")
    message = {"ts": control["ts"], "text": "Deploy started", "user": "U0BOB"}
    bot.slack.message_shortcut("U0ALICE", "pm.timeline.shortcut", "C0INCIDENT", message)
    bot.settle()
    opened = bot.emu.calls_to("views.open")[-1].response["view"]["id"]
    found["pm.timeline_capture.submit"] = bot.emu.views[opened]
    assert len(found) >= 8, sorted(found)  # details, whys, impact, learnings, timeline entry…
    return found


