"""response_url semantics: replace/delete the originating message, post in channel, or ephemeral."""

from __future__ import annotations

from typing import Any

from slack_emulator.rules import message_rejection, truthy
from slack_emulator.state import EmulatorState, Reply, ResponseTarget, fail, ok


def new_response_url(
    st: EmulatorState,
    channel_id: str | None,
    message_ts: str | None,
    user_id: str | None,
    team_id: str,
) -> str:
    target_id = st.new_id("R")
    st.response_targets[target_id] = ResponseTarget(channel_id, message_ts, user_id, team_id)
    return f"{st.base_url}/response/{target_id}"


def handle_response(st: EmulatorState, target_id: str, body: dict[str, Any]) -> Reply:
    target = st.response_targets.get(target_id)
    if target is None:
        return Reply({"ok": False, "error": "expired_url"}, status=404)
    ws = st.team(target.team_id)
    channel = ws.resolve_channel(target.channel_id) if target.channel_id else None
    original = (
        ws.find_message(channel, target.message_ts)
        if channel is not None and target.message_ts
        else None
    )
    if truthy(body.get("delete_original")):
        if original is None:
            return Reply({"ok": False, "error": "message_not_found"}, status=404)
        channel.messages.remove(original)  # type: ignore[union-attr]
        st.changed.notify_all()
        return ok()
    text, blocks = body.get("text"), body.get("blocks")
    rejection = message_rejection(text, blocks, body.get("attachments"))
    if rejection is not None:
        return Reply(rejection.body(), status=400)
    if truthy(body.get("replace_original")):
        if original is None:
            return Reply({"ok": False, "error": "message_not_found"}, status=404)
        original["text"] = text or ""
        original["blocks"] = blocks or []
        original["edited"] = {"user": ws.bot_user_id, "ts": st.next_ts()}
        st.changed.notify_all()
        return ok()
    if channel is None:
        return fail("channel_not_found")
    if body.get("response_type") == "in_channel":
        ws.add_message(
            channel,
            ws.bot_message(text=text or "", blocks=blocks, thread_ts=body.get("thread_ts")),
        )
    else:
        st.ephemeral.append(
            ws.bot_message(
                channel=channel.id,
                user_to=target.user_id,
                ts=st.next_ts(),
                text=text or "",
                blocks=blocks,
            )
        )
        st.changed.notify_all()
    return ok()
