"""auth.test and users.* methods."""

from __future__ import annotations

import copy
from typing import Any

from slack_emulator.state import Reply, fail, ok
from slack_emulator.tokens import Token
from slack_emulator.workspace import Workspace

Args = dict[str, Any]


def auth_test(ws: Workspace, token: Token) -> Reply:
    """Who the token is: the workspace's bot for bot tokens, the installing user otherwise."""
    user_id = ws.bot_user_id if token.kind == "bot" else str(token.user_id)
    user = ws.users.get(user_id, {})
    fields: dict[str, Any] = {
        "url": ws.url,
        "team": ws.name,
        "user": user.get("name", user_id.lower()),
        "team_id": ws.team_id,
        "user_id": user_id,
    }
    if token.kind == "bot":
        fields["bot_id"] = ws.bot_id
    fields["is_enterprise_install"] = False
    return ok(**fields)


def info(ws: Workspace, args: Args) -> Reply:
    user = ws.users.get(str(args.get("user")))
    if user is None:
        return fail("user_not_found")
    return ok(user=copy.deepcopy(user))


def lookup_by_email(ws: Workspace, args: Args) -> Reply:
    email = str(args.get("email") or "").lower()
    for user in ws.users.values():
        if str(user["profile"].get("email", "")).lower() == email and email:
            return ok(user=copy.deepcopy(user))
    return fail("users_not_found")
