"""The emulator's shared in-memory state: recorded calls, workspaces, tokens, views, files.

All mutation happens under `lock`; `changed` is a Condition on the same lock so tests can block
until the bot (running in another thread) has made the calls they expect. Per-team data
(users, channels, messages, home tabs) lives in `Workspace`; views, triggers and files have
globally unique ids like in Slack and remember which team they belong to.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_emulator.faults import Faults
from slack_emulator.tokens import AppConfig, Grant, RefreshToken, Token
from slack_emulator.workspace import Workspace


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    status: int
    at: float
    # Things real Slack silently tolerates but a test may want to know about.
    notes: list[str] = field(default_factory=list)
    # The workspace whose token made the call (None when unauthenticated).
    team_id: str | None = None
    # The injected fault that hit this call: "dropped", "held" or "ratelimited".
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class Reply:
    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def ok(**fields: Any) -> Reply:
    return Reply({"ok": True, **fields})


def fail(error: str, **extra: Any) -> Reply:
    return Reply({"ok": False, "error": error, **extra})


@dataclass
class Trigger:
    issued_at: float
    view_id: str | None = None
    used: bool = False
    team_id: str | None = None


@dataclass
class PendingFile:
    id: str
    filename: str
    length: int
    team_id: str
    alt_txt: str | None = None
    content: bytes | None = None
    completed: bool = False


@dataclass
class ResponseTarget:
    """Where a response_url's replace_original/delete_original/in_channel replies land."""

    channel_id: str | None
    message_ts: str | None
    user_id: str | None
    team_id: str


class EmulatorState:
    def __init__(
        self, clock: Callable[[], float], app_id: str, strict_channels: bool,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.clock = clock
        # Slack stamps a message's ts with its own wall clock when it takes the message.
        self.wall = wall
        self.app_id = app_id
        self.strict_channels = strict_channels
        self.post_burst = 3
        self.trigger_ttl = 3.0
        self.base_url = ""
        self.calls: list[Call] = []
        self.teams: dict[str, Workspace] = {}
        self.default_team_id = ""
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.app = AppConfig()
        self.grants: dict[str, Grant] = {}
        # Who is signed in to Slack in "the browser" that follows /oauth/v2/authorize links.
        self.browser_user: tuple[str, str] | None = None
        self.socket_tickets: set[str] = set()
        self.faults = Faults(self.lock)
        self.views: dict[str, dict[str, Any]] = {}
        self.stacks: dict[str, list[str]] = {}
        self.closed_views: set[str] = set()
        self.triggers: dict[str, Trigger] = {}
        self.files: dict[str, PendingFile] = {}
        self.uploaded_files: list[dict[str, Any]] = []
        # Completed uploads as files.info describes them, by file id.
        self.file_records: dict[str, dict[str, Any]] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.failures: dict[str, deque[Reply]] = {}
        self.response_targets: dict[str, ResponseTarget] = {}
        self._ids = itertools.count(1)
        self._last_ts = 0

    # ---- identifiers -------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def next_ts(self) -> str:
        # The wall clock at the time of the post, as in Slack; unique, so never behind the last.
        micros = max(int(self.wall() * 1_000_000), self._last_ts + 100)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def new_trigger(self, view_id: str | None, team_id: str | None = None) -> str:
        trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(self.clock(), view_id, team_id=team_id)
        return trigger_id

    # ---- workspaces --------------------------------------------------------------------
    def add_team(self, team_id: str, name: str, bot_user_id: str, bot_id: str) -> Workspace:
        if team_id in self.teams:
            raise ValueError(f"team {team_id} already exists")
        ws = Workspace(self, team_id, name, bot_user_id, bot_id)
        self.teams[team_id] = ws
        if not self.default_team_id:
            self.default_team_id = team_id
        return ws

    @property
    def default(self) -> Workspace:
        return self.teams[self.default_team_id]

    def team(self, team_id: str | None) -> Workspace:
        """The workspace `team_id` (the default one for None); KeyError if unknown."""
        if team_id is None:
            return self.default
        if team_id not in self.teams:
            raise KeyError(f"unknown team {team_id!r}")
        return self.teams[team_id]

    # ---- views -------------------------------------------------------------------------
    def stack_of(self, view_id: str) -> list[str] | None:
        view = self.views.get(view_id)
        if view is None or view_id in self.closed_views:
            return None
        return self.stacks.get(view.get("root_view_id") or view_id)

    def close_view(self, view_id: str) -> list[str]:
        """Close `view_id` and everything pushed above it (or the whole stack on clear_on_close)."""
        stack = self.stack_of(view_id)
        if stack is None:
            return []
        view = self.views[view_id]
        at = stack.index(view_id)
        if view.get("clear_on_close") or at == 0:
            at = 0
        closed = stack[at:]
        del stack[at:]
        self.closed_views.update(closed)
        if not stack:
            self.stacks.pop(view.get("root_view_id") or view_id, None)
        self.changed.notify_all()
        return closed

    # ---- calls -------------------------------------------------------------------------
    def record(self, call: Call) -> None:
        self.calls.append(call)
        self.changed.notify_all()
