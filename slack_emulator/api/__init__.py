"""Registry of emulated Web API methods: name -> handler(state, args) -> Reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_emulator.api import chat, conversations, files, users, views
from slack_emulator.state import EmulatorState, Reply

Handler = Callable[[EmulatorState, dict[str, Any]], Reply]

METHODS: dict[str, Handler] = {
    "auth.test": users.auth_test,
    "chat.postMessage": chat.post_message,
    "chat.update": chat.update,
    "chat.postEphemeral": chat.post_ephemeral,
    "chat.delete": chat.delete,
    "chat.getPermalink": chat.get_permalink,
    "views.open": views.open_view,
    "views.update": views.update_view,
    "views.push": views.push_view,
    "views.publish": views.publish_view,
    "users.info": users.info,
    "users.lookupByEmail": users.lookup_by_email,
    "conversations.info": conversations.info,
    "conversations.open": conversations.open_,
    "conversations.join": conversations.join,
    "conversations.history": conversations.history,
    "conversations.replies": conversations.replies,
    "conversations.members": conversations.members,
    "reactions.add": chat.reactions_add,
    "files.getUploadURLExternal": files.get_upload_url,
    "files.completeUploadExternal": files.complete_upload,
}

__all__ = ["METHODS", "Handler"]
