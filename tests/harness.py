"""The bot as Slack sees it: a real HTTP server, the local Slack emulator, signed requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlmodel import Session

from bot.deps import Deps, build_deps
from bot.http.server import HttpServer
from bot.http.wsgi import create_wsgi_app
from bot.observability.slack_client import InstrumentedWebClient
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.executor import TrackingExecutor
from slack_emulator.server import SlackEmulator
from slack_emulator.signing import SignedSlackClient
from storage.db import make_engine, migrate

SIGNING_SECRET = "test-signing-secret"


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@dataclass
class Harness:
    emu: SlackEmulator
    slack: SignedSlackClient
    deps: Deps
    clock: FakeClock
    client: WebClient
    url: str
    executor: TrackingExecutor

    def settle(self) -> None:
        """Wait until every listener has finished what it does after its ack."""
        self.executor.settle()

    def session(self) -> Session:
        return self.deps.sessions()

    def open_modal(
        self, user_id: str, command_text: str, channel_id: str = "C0INCIDENT"
    ) -> dict[str, Any]:
        """Type a `/postmortem …` that opens a modal; the opened view as Slack stores it."""
        before = len(self.emu.calls_to("views.open"))
        response = self.slack.command(
            "/postmortem", text=command_text, user_id=user_id, channel_id=channel_id
        )
        assert response.status == 200, response.body
        call = self.emu.wait_for("views.open", count=before + 1)[-1]
        return self.emu.views[call.response["view"]["id"]]


def make_settings(emu: SlackEmulator, database_url: str, **extra: Any) -> Settings:
    return Settings(
        slack_bot_token=emu.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emu.api_url,
        database_url=database_url,
        **extra,
    )


@contextmanager
def running_bot(
    database_url: str, clock: FakeClock, tmp_path: Path, **settings: Any
) -> Iterator[Harness]:
    with SlackEmulator(post_burst=5) as emu:
        for user_id, name, tz in USERS:
            emu.add_user(user_id, name, tz=tz)
        emu.add_channel("C0INCIDENT", "inc-checkout", members=[u for u, _, _ in USERS])
        emu.add_channel("C0ENG", "engineering", members=[u for u, _, _ in USERS])
        engine = make_engine(database_url)
        migrate(engine)
        config = make_settings(emu, database_url, archive_dir=tmp_path / "archive", **settings)
        deps = build_deps(config, clock=clock, engine=engine)
        # Counted like production's client (bot/deps.py:make_client) for the /metrics tests.
        client = InstrumentedWebClient(
            token=emu.bot_token,
            base_url=emu.api_url,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
        )
        executor = TrackingExecutor()
        app = create_app(deps, client, executor)
        from bot.http.webhooks import build_webhooks

        server = HttpServer(
            create_wsgi_app(deps, app, build_webhooks(deps, client)),
            host="127.0.0.1",
            port=0,
            threads=4,
        ).start()
        try:
            slack = SignedSlackClient(
                base_url=server.url, signing_secret=SIGNING_SECRET, emulator=emu, team_id="T0001"
            )
            yield Harness(
                emu=emu,
                slack=slack,
                deps=deps,
                clock=clock,
                client=client,
                url=server.url,
                executor=executor,
            )
        finally:
            server.stop()
            executor.shutdown(wait=True)
            engine.dispose()


USERS = [
    ("U0ALICE", "alice", "Europe/Berlin"),
    ("U0BOB", "bob", "America/New_York"),
    ("U0CAROL", "carol", "UTC"),
    ("U0DAN", "dan", "Asia/Tokyo"),
]
START = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
