"""In-memory Slack workspace: recorded calls, channels, messages, views, files, users.

All mutation happens under `lock`; `changed` is a Condition on the same lock so tests can block
until the bot (running in another thread) has made the calls they expect.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    status: int
    at: float
    # Things real Slack silently tolerates but a test may want to know about.
    notes: list[str] = field(default_factory=list)

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
class Channel:
    id: str
    name: str
    members: list[str]
    created: int
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    user: str | None = None
    bot_is_member: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_im or self.is_mpim,
            "is_archived": False,
        }
        if self.is_im:
            info.update(user=self.user, is_user_deleted=False)
        else:
            info.update(
                name=self.name,
                name_normalized=self.name,
                is_channel=not self.is_private and not self.is_mpim,
                is_group=self.is_private,
                is_general=self.name == "general",
                is_member=self.bot_is_member,
                num_members=len(self.members),
            )
        return info


@dataclass
class Trigger:
    issued_at: float
    view_id: str | None = None
    used: bool = False


@dataclass
class PendingFile:
    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    content: bytes | None = None
    completed: bool = False


@dataclass
class ResponseTarget:
    """Where a response_url's replace_original/delete_original/in_channel replies land."""

    channel_id: str | None
    message_ts: str | None
    user_id: str | None


def user_record(
    team_id: str,
    user_id: str,
    name: str,
    tz: str,
    tz_offset: int | None,
    is_bot: bool,
    email: str | None,
    real_name: str | None,
) -> dict[str, Any]:
    zone = ZoneInfo(tz)
    now = datetime.now(zone)
    offset = tz_offset
    if offset is None:
        delta = now.utcoffset()
        offset = int(delta.total_seconds()) if delta is not None else 0
    display = real_name or name
    profile: dict[str, Any] = {
        "real_name": display,
        "real_name_normalized": display,
        "display_name": name,
        "display_name_normalized": name,
        "team": team_id,
    }
    # Slack only reveals email with the users:read.email scope; absent email == no scope.
    if email is not None:
        profile["email"] = email
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": False,
        "real_name": display,
        "tz": tz,
        "tz_label": now.tzname() or tz,
        "tz_offset": offset,
        "is_admin": False,
        "is_owner": False,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": int(time.time()),
        "profile": profile,
    }


class EmulatorState:
    def __init__(
        self,
        clock: Callable[[], float],
        team_id: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        strict_channels: bool,
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.clock = clock
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.strict_channels = strict_channels
        self.post_burst = 3
        self.trigger_ttl = 3.0
        self.base_url = ""
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.stacks: dict[str, list[str]] = {}
        self.closed_views: set[str] = set()
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.files: dict[str, PendingFile] = {}
        self.uploaded_files: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.failures: dict[str, deque[Reply]] = {}
        self.post_times: dict[str, deque[float]] = {}
        self.response_targets: dict[str, ResponseTarget] = {}
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        # Anchor ts values at construction time so they look like real epoch timestamps.
        self._ts_base = int(time.time()) * 1_000_000

    # ---- identifiers -------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def next_ts(self) -> str:
        micros = self._ts_base + next(self._ts) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def new_trigger(self, view_id: str | None) -> str:
        trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(self.clock(), view_id)
        return trigger_id

    # ---- channels ----------------------------------------------------------------------
    def add_channel(
        self, channel_id: str, name: str, members: list[str], bot_is_member: bool = True
    ) -> Channel:
        channel = Channel(
            id=channel_id,
            name=name.lstrip("#"),
            members=list(members),
            created=int(time.time()),
            is_private=channel_id.startswith("G"),
            bot_is_member=bot_is_member,
        )
        self.channels[channel_id] = channel
        return channel

    def im_for(self, user_id: str) -> Channel:
        for channel in self.channels.values():
            if channel.is_im and channel.user == user_id:
                return channel
        channel_id = self.new_id("D")
        channel = Channel(
            id=channel_id,
            name=channel_id,
            members=[user_id, self.bot_user_id],
            created=int(time.time()),
            is_im=True,
            user=user_id,
        )
        self.channels[channel_id] = channel
        return channel

    def resolve_channel(self, ref: Any, ids_only: bool = True) -> Channel | None:
        """Most methods take channel ids only; chat.postMessage/postEphemeral (ids_only=False)
        also accept #names, names, and user ids (meaning that user's IM)."""
        if not isinstance(ref, str) or not ref:
            return None
        if ref in self.channels:
            return self.channels[ref]
        if ids_only:
            if ref[0] in "CG" and not self.strict_channels:
                return self.add_channel(ref, ref.lower(), [])
            return None
        name = ref.lstrip("#")
        for channel in self.channels.values():
            if not channel.is_im and channel.name == name:
                return channel
        if ref[0] in "UW" and (ref in self.users or not self.strict_channels):
            return self.im_for(ref)
        if ref[0] in "CG" and not ref.startswith("#") and not self.strict_channels:
            # Tests should not have to declare every channel; strict mode restores Slack's rule.
            return self.add_channel(ref, ref.lower(), [])
        return None

    # ---- messages ----------------------------------------------------------------------
    def find_message(self, channel: Channel, ts: Any) -> dict[str, Any] | None:
        for message in channel.messages:
            if message["ts"] == ts:
                return message
        return None

    def add_message(self, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
        message.setdefault("type", "message")
        message.setdefault("ts", self.next_ts())
        thread_ts = message.get("thread_ts")
        if thread_ts:
            parent = self.find_message(channel, thread_ts)
            if parent is not None:
                parent.setdefault("thread_ts", parent["ts"])
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                author = message.get("user") or self.bot_user_id
                users = parent.setdefault("reply_users", [])
                if author not in users:
                    users.append(author)
                parent["latest_reply"] = message["ts"]
        channel.messages.append(message)
        self.changed.notify_all()
        return message

    def bot_message(self, **fields: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        return message

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
