"""Who people are in Slack: their time zone, name and channel membership."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

_CACHE_SECONDS = 600
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def user_info(client: WebClient, user_id: str) -> dict[str, Any]:
    """users.info, cached for ten minutes: a time zone rarely changes mid-incident."""
    key = f"{client.base_url}|{user_id}"
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
    try:
        user = dict(client.users_info(user=user_id)["user"])
    except SlackApiError as err:
        log.warning("users.info %s failed: %s", user_id, err.response.get("error"))
        return {"id": user_id, "tz": "UTC", "real_name": user_id}
    with _lock:
        _cache[key] = (time.monotonic() + _CACHE_SECONDS, user)
    return user


def user_tz(client: WebClient, user_id: str) -> str:
    return str(user_info(client, user_id).get("tz") or "UTC")


def display_name(client: WebClient, user_id: str) -> str:
    user = user_info(client, user_id)
    profile = user.get("profile") or {}
    return str(profile.get("display_name") or user.get("real_name") or user.get("name") or user_id)


def is_channel_member(client: WebClient, channel_id: str, user_id: str) -> bool:
    cursor = None
    try:
        while True:
            page = client.conversations_members(channel=channel_id, cursor=cursor, limit=1000)
            if user_id in page.get("members", []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
    except SlackApiError as err:
        log.warning("conversations.members %s failed: %s", channel_id, err.response.get("error"))
        return False


def membership(client: WebClient, channel_id: str | None, user_id: str) -> Callable[[], bool]:
    """"Is `user_id` in `channel_id`?", asked only when called (flows asks non-editors only)."""

    def ask() -> bool:
        return bool(channel_id) and is_channel_member(client, str(channel_id), user_id)

    return ask
