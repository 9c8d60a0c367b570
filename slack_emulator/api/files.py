"""The files v2 upload flow: getUploadURLExternal -> POST bytes -> completeUploadExternal."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

from slack_emulator.state import EmulatorState, PendingFile, Reply, fail, ok

Args = dict[str, Any]


def get_upload_url(st: EmulatorState, args: Args) -> Reply:
    filename = args.get("filename")
    try:
        length = int(args.get("length"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return fail("invalid_arguments")
    if not filename or length < 0:
        return fail("invalid_arguments")
    file_id = st.new_id("F")
    st.files[file_id] = PendingFile(file_id, str(filename), length, args.get("alt_txt"))
    return ok(upload_url=f"{st.base_url}/upload/{file_id}", file_id=file_id)


def receive_upload(st: EmulatorState, file_id: str, content: bytes) -> tuple[int, str]:
    """The upload URL answers plain text like files.slack.com does, not a JSON envelope."""
    pending = st.files.get(file_id)
    if pending is None or pending.completed:
        return 404, "Not Found"
    pending.content = content
    return 200, f"OK - {len(content)}"


def complete_upload(st: EmulatorState, args: Args) -> Reply:
    files = args.get("files")
    if not isinstance(files, list) or not files:
        return fail("invalid_arguments")
    pending: list[tuple[PendingFile, str]] = []
    for item in files:
        file_id = item.get("id") if isinstance(item, dict) else None
        found = st.files.get(str(file_id))
        if found is None or found.completed:
            return fail("file_not_found")
        if found.content is None:
            return fail("upload_not_completed")
        pending.append((found, str(item.get("title") or found.filename)))
    channel_ids = [c for c in str(args.get("channels") or "").split(",") if c]
    if args.get("channel_id"):
        channel_ids.insert(0, str(args["channel_id"]))
    thread_ts = args.get("thread_ts") or None
    if thread_ts and not channel_ids:
        return fail("invalid_arguments")
    channels = []
    for channel_id in channel_ids:
        channel = st.resolve_channel(channel_id)
        if channel is None:
            return fail("channel_not_found")
        channels.append(channel)
    initial_comment = args.get("initial_comment") or ""
    described = []
    for found, title in pending:
        found.completed = True
        described.append(_describe(st, found, title, [c.id for c in channels]))
        for channel in channels or [None]:
            st.uploaded_files.append(
                {
                    "id": found.id,
                    "title": title,
                    "filename": found.filename,
                    "content": found.content,
                    "channel_id": channel.id if channel else None,
                    "thread_ts": thread_ts,
                    "initial_comment": initial_comment or None,
                }
            )
    for channel in channels:
        st.add_message(
            channel,
            st.bot_message(
                text=initial_comment,
                upload=True,
                thread_ts=thread_ts,
                files=[{"id": d["id"], "name": d["name"], "title": d["title"]} for d in described],
            ),
        )
    return ok(files=[{"id": d["id"], "title": d["title"]} for d in described])


def _describe(
    st: EmulatorState, found: PendingFile, title: str, channel_ids: list[str]
) -> dict[str, Any]:
    mimetype = mimetypes.guess_type(found.filename)[0] or "application/octet-stream"
    return {
        "id": found.id,
        "created": int(time.time()),
        "name": found.filename,
        "title": title,
        "mimetype": mimetype,
        "size": len(found.content or b""),
        "user": st.bot_user_id,
        "channels": channel_ids,
        "permalink": f"https://emulator.slack.com/files/{st.bot_user_id}/{found.id}",
    }
