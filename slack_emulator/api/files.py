"""The files v2 upload flow (getUploadURLExternal -> POST bytes -> completeUploadExternal),
files.info, and url_private downloads of the bytes that were uploaded."""

from __future__ import annotations

import copy
import mimetypes
import time
from pathlib import PurePosixPath
from typing import Any

from slack_emulator.state import EmulatorState, PendingFile, Reply, fail, ok
from slack_emulator.workspace import Channel, Workspace

Args = dict[str, Any]


def get_upload_url(ws: Workspace, args: Args) -> Reply:
    filename = args.get("filename")
    try:
        length = int(args.get("length"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return fail("invalid_arguments")
    if not filename or length < 0:
        return fail("invalid_arguments")
    st = ws.st
    file_id = st.new_id("F")
    st.files[file_id] = PendingFile(
        file_id, str(filename), length, ws.team_id, alt_txt=args.get("alt_txt")
    )
    return ok(upload_url=f"{st.base_url}/upload/{file_id}", file_id=file_id)


def receive_upload(st: EmulatorState, file_id: str, content: bytes) -> tuple[int, str]:
    """The upload URL answers plain text like files.slack.com does, not a JSON envelope."""
    pending = st.files.get(file_id)
    if pending is None or pending.completed:
        return 404, "Not Found"
    pending.content = content
    return 200, f"OK - {len(content)}"


def _targets(ws: Workspace, args: Args) -> list[Channel] | Reply:
    channel_ids = [c for c in str(args.get("channels") or "").split(",") if c]
    if args.get("channel_id"):
        channel_ids.insert(0, str(args["channel_id"]))
    channels = []
    for channel_id in channel_ids:
        channel = ws.resolve_channel(channel_id)
        if channel is None:
            return fail("channel_not_found")
        channels.append(channel)
    return channels


def complete_upload(ws: Workspace, args: Args) -> Reply:
    st = ws.st
    files = args.get("files")
    if not isinstance(files, list) or not files:
        return fail("invalid_arguments")
    pending: list[tuple[PendingFile, str]] = []
    for item in files:
        file_id = item.get("id") if isinstance(item, dict) else None
        found = st.files.get(str(file_id))
        if found is None or found.completed or found.team_id != ws.team_id:
            return fail("file_not_found")
        if found.content is None:
            return fail("upload_not_completed")
        pending.append((found, str(item.get("title") or found.filename)))
    channels = _targets(ws, args)
    if isinstance(channels, Reply):
        return channels
    thread_ts = args.get("thread_ts") or None
    if thread_ts and not channels:
        return fail("invalid_arguments")
    reply = ok()
    described = []
    for found, title in pending:
        found.completed = True
        if len(found.content or b"") != found.length:
            reply.notes.append(
                f"{found.filename}: uploaded {len(found.content or b'')} bytes, "
                f"declared length {found.length}"
            )
        record = _describe(ws, found, title)
        st.file_records[found.id] = record
        described.append(record)
    initial_comment = args.get("initial_comment") or ""
    for channel in channels:
        message = ws.add_message(
            channel,
            ws.bot_message(
                text=initial_comment,
                upload=True,
                thread_ts=thread_ts,
                files=[{"id": d["id"], "name": d["name"], "title": d["title"]} for d in described],
            ),
        )
        for record in described:
            _share(record, channel, message["ts"], thread_ts)
    for found, title in pending:
        for channel in channels or [None]:
            st.uploaded_files.append(
                {
                    "id": found.id,
                    "team_id": ws.team_id,
                    "title": title,
                    "filename": found.filename,
                    "mimetype": st.file_records[found.id]["mimetype"],
                    "content": found.content,
                    "channel_id": channel.id if channel else None,
                    "thread_ts": thread_ts,
                    "initial_comment": initial_comment or None,
                }
            )
    reply.body["files"] = [{"id": d["id"], "title": d["title"]} for d in described]
    return reply


def info(ws: Workspace, args: Args) -> Reply:
    record = ws.st.file_records.get(str(args.get("file")))
    if record is None or record["user_team"] != ws.team_id:
        return fail("file_not_found")
    return ok(file=copy.deepcopy(record), comments=[], response_metadata={"next_cursor": ""})


def download(st: EmulatorState, team_id: str | None, path: str) -> tuple[int, bytes, str]:
    """GET url_private[_download]: the uploaded bytes, for a token of the file's own team."""
    parts = path.strip("/").split("/")
    # "<team_id>-<file_id>": file ids never contain a dash, team ids might.
    file_id = parts[0].rsplit("-", 1)[-1] if parts else ""
    record = st.file_records.get(file_id)
    pending = st.files.get(file_id)
    if record is None or pending is None or team_id != record["user_team"]:
        return 404, b"Not Found", "text/plain"
    return 200, pending.content or b"", record["mimetype"]


def _describe(ws: Workspace, found: PendingFile, title: str) -> dict[str, Any]:
    mimetype = mimetypes.guess_type(found.filename)[0] or "application/octet-stream"
    suffix = PurePosixPath(found.filename).suffix.lstrip(".").lower()
    now = int(time.time())
    base = f"{ws.st.base_url}/files-pri/{ws.team_id}-{found.id}"
    record: dict[str, Any] = {
        "id": found.id,
        "created": now,
        "timestamp": now,
        "name": found.filename,
        "title": title,
        "mimetype": mimetype,
        "filetype": suffix or "binary",
        "pretty_type": (suffix or "binary").upper(),
        "user": ws.bot_user_id,
        "user_team": ws.team_id,
        "editable": False,
        "size": len(found.content or b""),
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"{base}/{found.filename}",
        "url_private_download": f"{base}/download/{found.filename}",
        "permalink": f"{ws.url}files/{ws.bot_user_id}/{found.id}/{found.filename}",
        "channels": [],
        "groups": [],
        "ims": [],
        "shares": {},
        "comments_count": 0,
    }
    if found.alt_txt:
        record["alt_txt"] = found.alt_txt
    return record


def _share(record: dict[str, Any], channel: Channel, ts: str, thread_ts: str | None) -> None:
    public = not (channel.is_private or channel.is_im or channel.is_mpim)
    kind = "channels" if public else ("ims" if channel.is_im else "groups")
    if channel.id not in record[kind]:
        record[kind].append(channel.id)
    record["is_public"] = record["is_public"] or public
    share: dict[str, Any] = {"ts": ts, "channel_name": channel.name, "team_id": record["user_team"]}
    if thread_ts:
        share["thread_ts"] = thread_ts
    shares = record["shares"].setdefault("public" if public else "private", {})
    shares.setdefault(channel.id, []).append(share)
