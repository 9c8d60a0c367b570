"""auth.test and users.* methods."""

from __future__ import annotations

import copy
from typing import Any

from slack_emulator.state import EmulatorState, Reply, fail, ok

Args = dict[str, Any]


def auth_test(st: EmulatorState, args: Args) -> Reply:
    bot = st.users.get(st.bot_user_id, {})
    return ok(
        url="https://emulator.slack.com/",
        team="Emulator",
        user=bot.get("name", "postmortem-bot"),
        team_id=st.team_id,
        user_id=st.bot_user_id,
        bot_id=st.bot_id,
        is_enterprise_install=False,
    )


def info(st: EmulatorState, args: Args) -> Reply:
    user = st.users.get(str(args.get("user")))
    if user is None:
        return fail("user_not_found")
    return ok(user=copy.deepcopy(user))


def lookup_by_email(st: EmulatorState, args: Args) -> Reply:
    email = str(args.get("email") or "").lower()
    for user in st.users.values():
        if str(user["profile"].get("email", "")).lower() == email and email:
            return ok(user=copy.deepcopy(user))
    return fail("users_not_found")
