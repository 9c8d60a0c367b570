from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.slack import people
from tests.harness import FakeClock, Harness, running_bot

pytest_plugins = ["tests.conftest_pg"]


@pytest.fixture(autouse=True)
def fresh_people_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """users.info answers are cached per Slack URL for ten minutes (bot/slack/people.py). Each
    test's emulator is a new Slack, but its port may be one an earlier test's had: without a
    fresh cache a profile of that test's user could be read here."""
    monkeypatch.setattr(people, "_cache", {})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def bot(sqlite_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[Harness]:
    with running_bot(sqlite_url, clock, tmp_path) as harness:
        yield harness
