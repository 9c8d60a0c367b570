"""Did an earlier attempt already reach Slack? Looked up before an `unsure` row is sent again.

Posts carry message metadata naming their row (`event_payload.key`); uploads are recognised
by their file name in the thread. History wants a conversation id, so DMs are opened by user id
and "#names" looked up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot.slack.delivery_plans import Plan, Post, Upload
from storage.tables import Reminder

EVENT_TYPE = "postmortem_bot_delivery"
LOOKUP_PAGES = 10
CLOCK_SKEW = timedelta(minutes=1)
REAL_LOOKBACK = timedelta(days=1)


def already_sent(client: WebClient, row: Reminder, plan: Plan) -> tuple[str, str] | None:
    """Where an earlier attempt of an `unsure` row put its message, if Slack has it."""
    if not row.unsure:
        return None
    if isinstance(plan, Post):
        return find_sent(client, plan.channel, plan.thread_ts, row)
    if isinstance(plan, Upload):
        return _find_file(client, plan)
    return None  # a redraw or a Home is safe to repeat


def find_sent(
    client: WebClient, channel: str, thread_ts: str | None, row: Reminder
) -> tuple[str, str] | None:
    """The message an earlier attempt of `row` posted, if Slack has it."""
    channel_id = conversation_id(client, channel)
    for message in _messages(client, channel_id, thread_ts, f"{lookup_since(row):.6f}"):
        meta = message.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == EVENT_TYPE and payload.get("key") == row.dedupe_key:
            return channel_id, str(message.get("ts"))
    return None


def lookup_since(row: Reminder, wall: Callable[[], float] = time.time) -> float:
    """The oldest Slack ts an earlier attempt of `row` can carry.

    By our clock no attempt came before the row was first claimed unsure (`sent_at`), nor
    before it was due; not `due_at` alone: a failed attempt moves it past a post that may have
    got through. Slack stamps ts with its own wall clock, though: a minute for skew, and never
    less than the last day of history by the real clock, so a sweep run on another clock
    (`sweep --at` ahead of now) still finds what it posted. An unsure row is looked up again
    when its lease or retry delay is over (minutes, an hour at most), well within the day.
    """
    ours = min(row.due_at, row.sent_at or row.due_at) - CLOCK_SKEW
    return min(ours.timestamp(), wall() - REAL_LOOKBACK.total_seconds())


def _find_file(client: WebClient, plan: Upload) -> tuple[str, str] | None:
    channel_id = conversation_id(client, plan.channel)
    for message in _messages(client, channel_id, plan.thread_ts, "0"):
        if any(f.get("name") == plan.filename for f in message.get("files") or []):
            return channel_id, str(message.get("ts"))
    return None


def _messages(
    client: WebClient, channel: str, thread_ts: str | None, oldest: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(LOOKUP_PAGES):
        args: dict[str, Any] = {"channel": channel, "oldest": oldest, "limit": 200,
                                "include_all_metadata": True, "cursor": cursor}
        if thread_ts:
            page = client.conversations_replies(ts=thread_ts, **args)
        else:
            page = client.conversations_history(**args)
        found += page.get("messages") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


_ids: dict[tuple[str, str], str] = {}


def conversation_id(client: WebClient, channel: str) -> str:
    """History wants a conversation id: a DM is opened by user id, a "#name" looked up."""
    if not channel.startswith(("U", "W", "#")):
        return channel
    key = (f"{client.base_url}|{client.token}", channel)
    if key in _ids:
        return _ids[key]
    if channel.startswith("#"):
        found = _find_by_name(client, channel[1:])
    else:
        found = str(client.conversations_open(users=channel)["channel"]["id"])
    _ids[key] = found
    return found


def _find_by_name(client: WebClient, name: str) -> str:
    cursor = None
    while True:
        page = client.conversations_list(types="public_channel,private_channel", limit=1000,
                                         exclude_archived=True, cursor=cursor)
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                return str(channel["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            raise LookupError(f"no channel named #{name}")
