from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.bot import WebhookBot, webhook_bot
from tests.harness import FakeClock


@pytest.fixture
def hooks(sqlite_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[WebhookBot]:
    """The bot over HTTP with every webhook secret set and the GitHub/Jira fakes behind it."""
    with webhook_bot(sqlite_url, clock, tmp_path) as running:
        yield running
