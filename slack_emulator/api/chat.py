"""chat.* and reactions.add."""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

from slack_emulator.rules import (
    RATE_WINDOW,
    MetadataCheck,
    check_metadata,
    message_rejection,
    rate_limited,
    truthy,
)
from slack_emulator.state import Reply, fail, ok
from slack_emulator.workspace import Channel, Workspace

Args = dict[str, Any]


def channel_for_write(ws: Workspace, ref: Any) -> Channel | Reply:
    channel = ws.resolve_channel(ref, ids_only=False)
    if channel is None:
        return fail("channel_not_found")
    if ws.st.strict_channels and not channel.is_im and not channel.bot_is_member:
        return fail("not_in_channel")
    return channel


def add_warning(reply: Reply, warning: str, note: str) -> Reply:
    warnings = reply.body.setdefault("response_metadata", {}).setdefault("warnings", [])
    warnings.append(warning)
    reply.body["warning"] = ",".join(warnings)
    reply.notes.append(note)
    return reply


def missing_text_warning(reply: Reply, text: Any, blocks: Any) -> Reply:
    # Slack accepts blocks without fallback text but warns: notifications show nothing useful.
    if blocks and not text:
        add_warning(reply, "missing_text", "blocks posted without fallback text")
    return reply


def metadata_warning(reply: Reply, check: MetadataCheck) -> Reply:
    if check.warning:
        add_warning(reply, check.warning, "metadata ignored: invalid event_type")
    return reply


def post_message(ws: Workspace, args: Args) -> Reply:
    channel = channel_for_write(ws, args.get("channel"))
    if isinstance(channel, Reply):
        return channel
    now = ws.st.clock()
    times = ws.post_times.setdefault(channel.id, deque())
    while times and now - times[0] >= RATE_WINDOW:
        times.popleft()
    if rate_limited(times, now, ws.st.post_burst):
        return Reply(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
        )
    text, blocks = args.get("text"), args.get("blocks")
    rejection = message_rejection(text, blocks, args.get("attachments"))
    if rejection is not None:
        return Reply(rejection.body())
    meta = check_metadata(args.get("metadata"))
    if meta.error:
        return fail(meta.error)
    times.append(now)
    notes: list[str] = []
    thread_ts = args.get("thread_ts") or None
    if thread_ts and ws.find_message(channel, thread_ts) is None:
        # Real Slack accepts this and the reply ends up orphaned; tests usually want to know.
        notes.append(f"thread_ts {thread_ts} does not exist in {channel.id}")
    message = ws.bot_message(
        text=text or "",
        blocks=blocks,
        attachments=args.get("attachments"),
        thread_ts=thread_ts,
        metadata=meta.metadata,
        username=args.get("username"),
        icon_emoji=args.get("icon_emoji"),
    )
    if thread_ts and truthy(args.get("reply_broadcast")):
        message["subtype"] = "thread_broadcast"
    ws.add_message(channel, message)
    reply = ok(channel=channel.id, ts=message["ts"], message=copy.deepcopy(message))
    reply.notes.extend(notes)
    return metadata_warning(missing_text_warning(reply, text, blocks), meta)


def own_message(ws: Workspace, args: Args, refusal: str) -> tuple[Channel, dict[str, Any]] | Reply:
    """The bot's own message named by channel and ts: Slack lets an app change only those."""
    channel = ws.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    message = ws.find_message(channel, args.get("ts"))
    if message is None:
        return fail("message_not_found")
    if message.get("bot_id") != ws.bot_id:
        return fail(refusal)
    return channel, message


def update(ws: Workspace, args: Args) -> Reply:
    found = own_message(ws, args, "cant_update_message")
    if isinstance(found, Reply):
        return found
    channel, message = found
    text, blocks = args.get("text"), args.get("blocks")
    if text is None and blocks is None and args.get("attachments") is None:
        return fail("no_text")
    rejection = message_rejection(
        text if text is not None else message.get("text"),
        blocks,
        args.get("attachments"),
    )
    if rejection is not None:
        return Reply(rejection.body())
    meta = check_metadata(args.get("metadata"))
    if meta.error:
        return fail(meta.error)
    if meta.metadata is not None:
        # Metadata left out of an update stays on the message, like the text does.
        message["metadata"] = meta.metadata
    if text is not None:
        message["text"] = text
    if blocks is not None:
        # An empty list is how callers strip blocks from a message.
        message["blocks"] = blocks
    if args.get("attachments") is not None:
        message["attachments"] = args["attachments"]
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.st.next_ts()}
    ws.st.changed.notify_all()
    reply = ok(
        channel=channel.id,
        ts=message["ts"],
        text=message.get("text", ""),
        message=copy.deepcopy(message),
    )
    missing_text_warning(reply, message.get("text"), message.get("blocks"))
    return metadata_warning(reply, meta)


def post_ephemeral(ws: Workspace, args: Args) -> Reply:
    channel = channel_for_write(ws, args.get("channel"))
    if isinstance(channel, Reply):
        return channel
    user = args.get("user")
    if not user:
        return fail("user_not_found")
    if ws.st.strict_channels and user not in ws.users:
        return fail("user_not_found")
    if channel.members and user not in channel.members:
        return fail("user_not_in_channel")
    text, blocks = args.get("text"), args.get("blocks")
    rejection = message_rejection(text, blocks, args.get("attachments"))
    if rejection is not None:
        return Reply(rejection.body())
    ts = ws.st.next_ts()
    ws.st.ephemeral.append(
        ws.bot_message(
            channel=channel.id,
            user_to=user,
            ts=ts,
            text=text or "",
            blocks=blocks,
            thread_ts=args.get("thread_ts") or None,
        )
    )
    return missing_text_warning(ok(message_ts=ts), text, blocks)


def delete(ws: Workspace, args: Args) -> Reply:
    found = own_message(ws, args, "cant_delete_message")
    if isinstance(found, Reply):
        return found
    channel, message = found
    channel.messages.remove(message)
    return ok(channel=channel.id, ts=message["ts"])


def get_permalink(ws: Workspace, args: Args) -> Reply:
    channel = ws.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    ts = args.get("message_ts")
    message = ws.find_message(channel, ts)
    if message is None:
        return fail("message_not_found")
    link = f"{ws.url}archives/{channel.id}/p{str(ts).replace('.', '')}"
    parent = message.get("thread_ts")
    if parent and parent != ts:
        link += f"?thread_ts={parent}&cid={channel.id}"
    return ok(channel=channel.id, permalink=link)


def reactions_add(ws: Workspace, args: Args) -> Reply:
    channel = ws.resolve_channel(args.get("channel"))
    if channel is None:
        return fail("channel_not_found")
    name = str(args.get("name") or "").strip(":")
    if not name:
        return fail("invalid_name")
    message = ws.find_message(channel, args.get("timestamp"))
    if message is None:
        return fail("message_not_found")
    reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
    entry = next((r for r in reactions if r["name"] == name), None)
    if entry is None:
        entry = {"name": name, "users": [], "count": 0}
        reactions.append(entry)
    if ws.bot_user_id in entry["users"]:
        return fail("already_reacted")
    entry["users"].append(ws.bot_user_id)
    entry["count"] += 1
    ws.st.changed.notify_all()
    return ok()
