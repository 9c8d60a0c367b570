"""conversations.* methods."""

from __future__ import annotations

import base64
import copy
from typing import Any

from slack_emulator.rules import truthy
from slack_emulator.state import Reply, fail, ok
from slack_emulator.workspace import Channel, Workspace

Args = dict[str, Any]
DEFAULT_LIMIT = 100
MAX_LIMIT = 999
# conversations.replies returns whole threads by default.
REPLIES_DEFAULT_LIMIT = 1000


def _encode(prefix: str, value: Any) -> str:
    return base64.b64encode(f"{prefix}:{value}".encode()).decode()


def _decode(cursor: Any, prefix: str) -> str | None:
    try:
        found, value = base64.b64decode(str(cursor), validate=True).decode().split(":", 1)
    except ValueError:
        return None
    return value if found == prefix and value else None


def _limit(args: Args, default: int, maximum: int) -> int | None:
    try:
        limit = int(args.get("limit") or default)
    except ValueError:
        return None
    return min(limit, maximum) if limit > 0 else default


def _in_range(ts: str, args: Args) -> bool:
    # "inclusive" only matters at the oldest/latest boundaries, as in Slack.
    inclusive = truthy(args.get("inclusive"))
    value = float(ts)
    oldest, latest = args.get("oldest"), args.get("latest")
    if oldest and (value < float(oldest) or (value == float(oldest) and not inclusive)):
        return False
    return not (latest and (value > float(latest) or (value == float(latest) and not inclusive)))


def _shown(message: dict[str, Any], args: Args) -> dict[str, Any]:
    shown = copy.deepcopy(message)
    if not truthy(args.get("include_all_metadata")):
        # Slack leaves message metadata out of history unless the caller asks for it.
        shown.pop("metadata", None)
    return shown


def _timeline(
    messages: list[dict[str, Any]],
    args: Args,
    default_limit: int,
    newest_first: bool,
) -> Reply:
    """A page of messages with Slack's `next_ts` cursors: stable even when messages are
    posted between pages, unlike offsets."""
    ordered = sorted(messages, key=lambda m: float(m["ts"]), reverse=newest_first)
    cursor = args.get("cursor")
    if cursor:
        start = _decode(cursor, "next_ts")
        if start is None:
            return fail("invalid_cursor")
        at = float(start)
        if newest_first:
            ordered = [m for m in ordered if float(m["ts"]) <= at]
        else:
            ordered = [m for m in ordered if float(m["ts"]) >= at]
    limit = _limit(args, default_limit, MAX_LIMIT if newest_first else REPLIES_DEFAULT_LIMIT)
    if limit is None:
        return fail("invalid_limit")
    page, rest = ordered[:limit], ordered[limit:]
    return ok(
        messages=[_shown(m, args) for m in page],
        has_more=bool(rest),
        response_metadata={"next_cursor": _encode("next_ts", rest[0]["ts"]) if rest else ""},
    )


def _readable(ws: Workspace, args: Args) -> Channel | Reply:
    channel = ws.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    if ws.st.strict_channels and not channel.is_im and not channel.bot_is_member:
        return fail("not_in_channel")
    return channel


def info(ws: Workspace, args: Args) -> Reply:
    channel = ws.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    return ok(channel=channel.info())


def open_(ws: Workspace, args: Args) -> Reply:
    if args.get("channel"):
        channel = ws.channels.get(args["channel"])
        return fail("channel_not_found") if channel is None else ok(channel={"id": channel.id})
    users = [u for u in str(args.get("users") or "").split(",") if u]
    if not users:
        return fail("users_list_not_supplied")
    for user in users:
        if user not in ws.users and ws.st.strict_channels:
            return fail("user_not_found")
    if len(users) == 1:
        channel = ws.im_for(users[0])
    else:
        key = sorted(users)
        found = (c for c in ws.channels.values() if c.is_mpim and sorted(c.members[:-1]) == key)
        channel = next(found, None) or _new_mpim(ws, key)
    if truthy(args.get("return_im")):
        return ok(channel=channel.info())
    return ok(channel={"id": channel.id})


def _new_mpim(ws: Workspace, users: list[str]) -> Channel:
    channel = ws.add_channel(ws.st.new_id("G"), "mpdm-" + "--".join(users), [*users])
    channel.is_mpim = True
    channel.members.append(ws.bot_user_id)
    return channel


def join(ws: Workspace, args: Args) -> Reply:
    channel = ws.resolve_channel(args.get("channel"))
    if channel is None or channel.is_im:
        return fail("channel_not_found")
    if channel.is_private:
        return fail("method_not_supported_for_channel_type")
    already = channel.bot_is_member
    channel.bot_is_member = True
    if ws.bot_user_id not in channel.members:
        channel.members.append(ws.bot_user_id)
    reply = ok(channel=channel.info())
    if already:
        reply.body["warning"] = "already_in_channel"
        reply.body["response_metadata"] = {"warnings": ["already_in_channel"]}
    return reply


def _top_level(message: dict[str, Any]) -> bool:
    # Thread replies stay out of history unless they were broadcast to the channel.
    thread_ts = message.get("thread_ts")
    return (
        not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"
    )


def history(ws: Workspace, args: Args) -> Reply:
    channel = _readable(ws, args)
    if isinstance(channel, Reply):
        return channel
    top = [m for m in channel.messages if _top_level(m) and _in_range(m["ts"], args)]
    return _timeline(top, args, DEFAULT_LIMIT, newest_first=True)


def replies(ws: Workspace, args: Args) -> Reply:
    channel = _readable(ws, args)
    if isinstance(channel, Reply):
        return channel
    ts = args.get("ts")
    if ws.find_message(channel, ts) is None:
        return fail("thread_not_found")
    thread = [
        m
        for m in channel.messages
        if ts in (m["ts"], m.get("thread_ts")) and _in_range(m["ts"], args)
    ]
    return _timeline(thread, args, REPLIES_DEFAULT_LIMIT, newest_first=False)


def members(ws: Workspace, args: Args) -> Reply:
    channel = ws.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    offset = 0
    if args.get("cursor"):
        decoded = _decode(args["cursor"], "offset")
        if decoded is None or not decoded.isdigit():
            return fail("invalid_cursor")
        offset = int(decoded)
    limit = _limit(args, DEFAULT_LIMIT, MAX_LIMIT)
    if limit is None:
        return fail("invalid_limit")
    page = channel.members[offset : offset + limit]
    more = offset + limit < len(channel.members)
    return ok(
        members=list(page),
        response_metadata={"next_cursor": _encode("offset", offset + limit) if more else ""},
    )
