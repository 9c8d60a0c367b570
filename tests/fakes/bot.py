"""A running bot wired to the tracker fakes, with every webhook secret set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tests.harness as harness
from tests.fakes import webhooks as wh
from tests.fakes.trackers import FakeGitHub, FakeJira
from tests.harness import FakeClock, Harness

REPO = "acme/Platform"
INCIDENT_CHANNEL = "C0INC42"  # the incident's own channel, named by payloads


@dataclass
class WebhookBot:
    bot: Harness
    github: FakeGitHub
    jira: FakeJira

    def post(self, path: str, body: bytes | str, headers: dict[str, str]) -> Any:
        return wh.post(self.bot.url, path, body, headers)


def settings_extra(github: FakeGitHub, jira: FakeJira, **overrides: str) -> dict[str, str]:
    extra = {
        "PAGERDUTY_WEBHOOK_SECRET": wh.PD_SECRET,
        "OPSGENIE_WEBHOOK_TOKEN": wh.OG_TOKEN,
        "INCIDENT_WEBHOOK_SECRET": wh.INCIDENT_SECRET,
        "INCIDENT_WEBHOOK_DEFAULT_OWNER": "U0ALICE",
        "GITHUB_API_URL": github.url, "GITHUB_REPO": REPO, "GITHUB_TOKEN": FakeGitHub.TOKEN,
        "GITHUB_WEBHOOK_SECRET": wh.GH_SECRET, "GITHUB_ASSIGNEES": "U0BOB=bob-gh",
        "JIRA_BASE_URL": jira.url, "JIRA_EMAIL": FakeJira.EMAIL, "JIRA_API_TOKEN": FakeJira.TOKEN,
        "JIRA_PROJECT": "OPS", "JIRA_WEBHOOK_TOKEN": wh.JIRA_TOKEN,
    }
    extra.update(overrides)
    return {k: v for k, v in extra.items() if v}


@contextmanager
def webhook_bot(
    sqlite_url: str, clock: FakeClock, tmp_path: Path, *, jira: FakeJira | None = None,
    incidents_channel: str | None = "C0INCIDENT", **extra: str,
) -> Iterator[WebhookBot]:
    with FakeGitHub() as github, (jira or FakeJira()) as jira_fake, \
            harness.running_bot(
                sqlite_url, clock, tmp_path, incidents_channel=incidents_channel,
                extra=settings_extra(github, jira_fake, **extra),
            ) as bot:
        bot.emu.add_channel(INCIDENT_CHANNEL, "inc-2041-payments",
                            members=[u for u, _, _ in harness.USERS])
        yield WebhookBot(bot, github, jira_fake)


def now_ts(bot: Harness) -> int:
    return int(bot.clock.now.timestamp())


def send_generic(hooks: WebhookBot, payload: dict[str, Any], *, delivery: str | None = None,
                 timestamp: int | None = None, secret: str = wh.INCIDENT_SECRET) -> Any:
    body = wh.dumps(payload)
    stamp = now_ts(hooks.bot) if timestamp is None else timestamp
    return hooks.post("/webhooks/incident", body,
                      wh.incident_headers(body, stamp, secret=secret, delivery=delivery))


def open_postmortem_via_webhook(hooks: WebhookBot, **overrides: Any) -> int:
    """A required post-mortem with its control message posted; returns its id."""
    response = send_generic(hooks, wh.generic_incident(**overrides))
    assert response.status == 201, response.text
    return int(response.json()["postmortem_id"])
