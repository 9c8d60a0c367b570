from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from storage.tables import ActionItem
from tests.fakes.bot import WebhookBot, open_postmortem_via_webhook, webhook_bot
from tests.fakes.trackers import FakeJira
from tests.harness import FakeClock

BOB_ACCOUNT = "5b10ac8d82e05b22cc7d4ef5"


@pytest.fixture
def hooks(sqlite_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[WebhookBot]:
    """The bot with the GitHub/Jira fakes; bob's Slack profile shows his email (Jira knows it)."""
    jira = FakeJira(users={"bob@example.com": BOB_ACCOUNT})
    with webhook_bot(sqlite_url, clock, tmp_path, jira=jira) as running:
        running.bot.emu.add_user("U0BOB", "bob", tz="America/New_York",
                                 email="bob@example.com", real_name="Bob Builder")
        yield running


@pytest.fixture
def pm_id(hooks: WebhookBot) -> int:
    return open_postmortem_via_webhook(hooks)


@pytest.fixture
def item_id(hooks: WebhookBot, pm_id: int) -> int:
    """Action item #1 of the post-mortem, owned by bob, P1, due in December."""
    now = hooks.bot.clock.now
    with hooks.bot.session() as session:
        item = ActionItem(
            postmortem_id=pm_id, number=1, title="Add idempotency keys to card capture",
            owner_id="U0BOB", due_on=date(2026, 12, 4), priority="P1", category="Prevention",
            success_criteria="A replayed capture request charges once.",
            created_at=now, updated_at=now,
        )
        session.add(item)
        session.commit()
        assert item.id is not None
        return item.id
