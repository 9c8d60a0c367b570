"""What every listener, webhook and sweep needs, built once per process and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy import Engine

from bot.observability.slack_client import InstrumentedWebClient
from bot.settings import Settings
from flows.policy import Policy, load_policy
from storage.db import SessionFactory, make_engine, session_factory

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

    def now(self) -> datetime:
        return self.clock()


def build_deps(
    settings: Settings, clock: Clock = system_clock, engine: Engine | None = None
) -> Deps:
    engine = engine or make_engine(settings.database_url)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        policy=load_policy(settings.config_path),
        clock=clock,
    )


def make_client(settings: Settings, max_rate_limit_retries: int = 3) -> WebClient:
    """A Web API client aimed at SLACK_API_URL that waits out 429s as Slack asks (Retry-After).

    It counts its calls and errors per method for /metrics (bot/observability/slack_client.py).
    """
    return InstrumentedWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries),
        ],
    )
