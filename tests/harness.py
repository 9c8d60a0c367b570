"""The bot as Slack sees it: a real HTTP server, the local Slack emulator, signed requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, build_deps
from bot.serving import build_serving
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.client import make_client
from bot.slack.forms import at_inputs
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

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every listener has finished what it does after its ack."""
        assert self.deps.background.wait_idle(timeout), (
            f"{self.deps.background.pending} after-ack task(s) still running"
        )

    def session(self) -> Session:
        return self.deps.sessions()

    def typed(self, view: dict[str, Any] | str, values: dict[str, Any]) -> dict[str, Any]:
        """`values` keyed by base ids, re-keyed by the inputs of the view as it is now (some
        are renewed after each add: bot/slack/forms.py)."""
        view_id = view if isinstance(view, str) else view["id"]
        return at_inputs(self.emu.views[view_id], values)

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
    values: dict[str, Any] = {
        "slack_bot_token": emu.bot_token, "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": emu.api_url, "database_url": database_url,
    }
    return Settings(**{**values, **extra})


def oauth_settings(emu: SlackEmulator) -> dict[str, Any]:
    """Many workspaces: the app's client credentials and no bot token."""
    return {"slack_bot_token": None, "slack_client_id": emu.client_id,
            "slack_client_secret": emu.client_secret}


@contextmanager
def running_bot(
    database_url: str, clock: FakeClock, tmp_path: Path, *, oauth: bool = False,
    socket_mode: bool = False, **settings: Any,
) -> Iterator[Harness]:
    with SlackEmulator(post_burst=5) as emu:
        for user_id, name, tz in USERS:
            emu.add_user(user_id, name, tz=tz)
        emu.add_channel("C0INCIDENT", "inc-checkout", members=[u for u, _, _ in USERS])
        emu.add_channel("C0ENG", "engineering", members=[u for u, _, _ in USERS])
        engine = make_engine(database_url)
        migrate(engine)
        if oauth:
            settings = {**oauth_settings(emu), **settings}
        if socket_mode:
            settings = {"slack_app_token": emu.app_token, **settings}
        config = make_settings(emu, database_url, archive_dir=tmp_path / "archive", **settings)
        client = make_client(emu.bot_token, emu.api_url)
        deps = build_deps(config, clock=clock, engine=engine, client=client)
        if deps.installs is not None:
            deps.installs.create_tables()
        app = create_app(deps)
        serving = build_serving(deps, app, host="127.0.0.1", port=0, threads=4)
        serving.http.start()
        if oauth:
            emu.configure_app(redirect_urls=[serving.http.url + "/slack/oauth_redirect"])
        serving.connect()
        try:
            slack = SignedSlackClient(
                base_url=serving.http.url, signing_secret=SIGNING_SECRET, emulator=emu,
                team_id="T0001",
            )
            yield Harness(
                emu=emu,
                slack=slack,
                deps=deps,
                clock=clock,
                client=client,
                url=serving.http.url,
            )
        finally:
            if serving.socket is not None:
                # The SDK's close() waits out its socket read timeout unless the server
                # closes first (tests/emulator/test_socket_mode.py).
                emu.socket_mode.close_all()
            serving.stop()
            deps.background.shutdown(wait=True)
            engine.dispose()


USERS = [
    ("U0ALICE", "alice", "Europe/Berlin"),
    ("U0BOB", "bob", "America/New_York"),
    ("U0CAROL", "carol", "UTC"),
    ("U0DAN", "dan", "Asia/Tokyo"),
]
START = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
