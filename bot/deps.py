"""What every listener, webhook and sweep needs, built once per process and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack.background import Background
from bot.slack.client import make_client
from flows.policy import Policy, load_policy
from flows.related import Remembered
from storage.db import SessionFactory, make_engine, session_factory
from storage.inbox_writer import InboxWriter

if TYPE_CHECKING:
    from bot.slack.installs import Installs

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    sessions: SessionFactory
    policy: Policy
    clock: Clock = system_clock
    client: WebClient | None = None
    # Work that runs after Slack has its ack, on threads of its own.
    background: Background = field(default_factory=Background)
    # OAuth mode (SLACK_CLIENT_ID/SECRET without a bot token): every workspace's own token.
    installs: Installs | None = None
    # Related-incident suggestions worked out for control messages, reused while they hold.
    related: Remembered = field(default_factory=Remembered)
    # Forms saved after their ack are written down through it (bot/slack/inbox.py).
    inbox: InboxWriter = field(init=False)

    def __post_init__(self) -> None:
        self.inbox = InboxWriter(self.engine)

    def now(self) -> datetime:
        return self.clock()

    def slack(self, team_id: str | None = None) -> WebClient:
        """The Web API client for a workspace's messages: its own installation's token in
        OAuth mode; with one bot token, the same client for all."""
        if self.installs is not None and team_id:
            return self.installs.client(team_id)
        if self.client is None:
            self.client = client_for(self.settings)
        return self.client


def build_deps(
    settings: Settings, clock: Clock = system_clock, engine: Engine | None = None,
    client: WebClient | None = None,
) -> Deps:
    engine = engine or make_engine(settings.database_url)
    installs = None
    if settings.oauth:
        from bot.slack.installs import Installs

        installs = Installs(settings, engine)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        policy=load_policy(settings.config_path),
        clock=clock,
        client=client,
        installs=installs,
    )


def client_for(settings: Settings) -> WebClient:
    return make_client(settings.slack_bot_token, settings.slack_api_url)
