"""conversations.* methods."""

from __future__ import annotations

import base64
import copy
from typing import Any

from slack_emulator.rules import truthy
from slack_emulator.state import EmulatorState, Reply, fail, ok

Args = dict[str, Any]
DEFAULT_LIMIT = 100
MAX_LIMIT = 999


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: Any) -> int | None:
    if not cursor:
        return 0
    try:
        prefix, value = base64.b64decode(str(cursor)).decode().split(":", 1)
        return int(value) if prefix == "offset" else None
    except ValueError:
        return None


def _page(items: list[Any], args: Args, key: str) -> Reply:
    """Slack paginates with opaque cursors; an offset wrapped in base64 behaves the same."""
    offset = _offset(args.get("cursor"))
    if offset is None:
        return fail("invalid_cursor")
    try:
        limit = min(int(args.get("limit") or DEFAULT_LIMIT), MAX_LIMIT)
    except ValueError:
        return fail("invalid_limit")
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return ok(
        **{key: copy.deepcopy(page)},
        has_more=more,
        response_metadata={"next_cursor": _cursor(offset + limit) if more else ""},
    )


def _in_range(ts: str, args: Args) -> bool:
    inclusive = truthy(args.get("inclusive"))
    value = float(ts)
    oldest, latest = args.get("oldest"), args.get("latest")
    if oldest and (value < float(oldest) or (value == float(oldest) and not inclusive)):
        return False
    return not (latest and (value > float(latest) or (value == float(latest) and not inclusive)))


def info(st: EmulatorState, args: Args) -> Reply:
    channel = st.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    return ok(channel=channel.info())


def open_(st: EmulatorState, args: Args) -> Reply:
    if args.get("channel"):
        channel = st.channels.get(args["channel"])
        return fail("channel_not_found") if channel is None else ok(channel={"id": channel.id})
    users = [u for u in str(args.get("users") or "").split(",") if u]
    if not users:
        return fail("users_list_not_supplied")
    for user in users:
        if user not in st.users and st.strict_channels:
            return fail("user_not_found")
    if len(users) == 1:
        channel = st.im_for(users[0])
    else:
        key = sorted(users)
        channel = next(
            (c for c in st.channels.values() if c.is_mpim and sorted(c.members[:-1]) == key),
            None,
        )
        if channel is None:
            channel = st.add_channel(st.new_id("G"), "mpdm-" + "--".join(key), [*key])
            channel.is_mpim = True
            channel.members.append(st.bot_user_id)
    if truthy(args.get("return_im")):
        return ok(channel=channel.info())
    return ok(channel={"id": channel.id})


def join(st: EmulatorState, args: Args) -> Reply:
    channel = st.resolve_channel(args.get("channel"))
    if channel is None or channel.is_im:
        return fail("channel_not_found")
    if channel.is_private:
        return fail("method_not_supported_for_channel_type")
    already = channel.bot_is_member
    channel.bot_is_member = True
    if st.bot_user_id not in channel.members:
        channel.members.append(st.bot_user_id)
    reply = ok(channel=channel.info())
    if already:
        reply.body["warning"] = "already_in_channel"
        reply.body["response_metadata"] = {"warnings": ["already_in_channel"]}
    return reply


def history(st: EmulatorState, args: Args) -> Reply:
    channel = st.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    if st.strict_channels and not channel.is_im and not channel.bot_is_member:
        return fail("not_in_channel")
    # Thread replies stay out of history unless they were broadcast to the channel.
    top = [
        m
        for m in channel.messages
        if (
            not m.get("thread_ts")
            or m["thread_ts"] == m["ts"]
            or m.get("subtype") == "thread_broadcast"
        )
        and _in_range(m["ts"], args)
    ]
    top.sort(key=lambda m: float(m["ts"]), reverse=True)
    return _page(top, args, "messages")


def replies(st: EmulatorState, args: Args) -> Reply:
    channel = st.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    ts = args.get("ts")
    parent = st.find_message(channel, ts)
    if parent is None:
        return fail("thread_not_found")
    thread = [
        m
        for m in channel.messages
        if (m["ts"] == ts or m.get("thread_ts") == ts) and _in_range(m["ts"], args)
    ]
    thread.sort(key=lambda m: float(m["ts"]))
    return _page(thread, args, "messages")


def members(st: EmulatorState, args: Args) -> Reply:
    channel = st.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    return _page(list(channel.members), args, "members")
