"""Registry of emulated Web API methods.

Most methods act inside the calling token's workspace: handler(workspace, args) -> Reply.
App-level methods take the app token instead, and oauth.v2.access authenticates with the
app's client credentials rather than a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_emulator.api import chat, conversations, files, oauth, users, views
from slack_emulator.socket_mode import connections_open
from slack_emulator.state import EmulatorState, Reply
from slack_emulator.tokens import Token
from slack_emulator.workspace import Workspace

Args = dict[str, Any]
Handler = Callable[[Workspace, Args], Reply]
AppHandler = Callable[[EmulatorState, Token, Args], Reply]
ClientHandler = Callable[[EmulatorState, Args, str | None], Reply]

METHODS: dict[str, Handler] = {
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
    "files.info": files.info,
}

# auth.test answers for whichever token it is given; see users.auth_test.
TOKEN_METHODS = {"auth.test"}
APP_METHODS: dict[str, AppHandler] = {"apps.connections.open": connections_open}
CLIENT_METHODS: dict[str, ClientHandler] = {"oauth.v2.access": oauth.access}

__all__ = ["APP_METHODS", "CLIENT_METHODS", "METHODS", "TOKEN_METHODS", "Handler"]
