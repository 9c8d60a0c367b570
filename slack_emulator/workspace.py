"""One Slack workspace (team): its bot identity, users, channels, messages and home tabs.

Every Web API call is answered from the workspace its token belongs to, so two teams can use
the same channel or user ids without seeing each other's data.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from slack_emulator.state import EmulatorState


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


@dataclass(frozen=True)
class TeamInfo:
    """A snapshot of a workspace's identity, as tests need it (bot_token is None until the
    app is installed there)."""

    team_id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str
    bot_token: str | None


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


def domain_for(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "workspace"


class Workspace:
    def __init__(
        self, st: EmulatorState, team_id: str, name: str, bot_user_id: str, bot_id: str
    ) -> None:
        self.st = st
        self.team_id = team_id
        self.name = name
        self.domain = domain_for(name)
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        # The bot token the app holds for this team; None until the app is installed.
        self.bot_token: str | None = None
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.home_views: dict[str, str] = {}
        self.post_times: dict[str, deque[float]] = {}
        self.users[bot_user_id] = user_record(
            team_id, bot_user_id, "postmortem-bot", "UTC", 0, True, None, "Postmortem Bot"
        )

    def info(self) -> TeamInfo:
        return TeamInfo(
            self.team_id, self.name, self.domain, self.bot_user_id, self.bot_id, self.bot_token
        )

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"

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
        channel_id = self.st.new_id("D")
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
        strict = self.st.strict_channels
        if ids_only:
            if ref[0] in "CG" and not strict:
                return self.add_channel(ref, ref.lower(), [])
            return None
        name = ref.lstrip("#")
        for channel in self.channels.values():
            if not channel.is_im and channel.name == name:
                return channel
        if ref[0] in "UW" and (ref in self.users or not strict):
            return self.im_for(ref)
        if ref[0] in "CG" and not ref.startswith("#") and not strict:
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
        message.setdefault("ts", self.st.next_ts())
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
        self.st.changed.notify_all()
        return message

    def bot_message(self, **fields: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.st.app_id,
            "team": self.team_id,
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        return message

    # ---- views -------------------------------------------------------------------------
    def owns_view(self, view_id: Any) -> bool:
        view = self.st.views.get(view_id) if isinstance(view_id, str) else None
        return view is not None and view.get("team_id") == self.team_id
