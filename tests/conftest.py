from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.harness import FakeClock, Harness, running_bot

pytest_plugins = ["tests.conftest_pg"]


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
