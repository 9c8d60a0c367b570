"""The Python API tests use to shape the emulated Slack: workspaces, users, channels, human
messages, triggers, the app's settings and OAuth installs."""

from __future__ import annotations

import copy
from collections import deque
from typing import Any
from urllib.parse import urlencode

from slack_emulator.api import oauth
from slack_emulator.respond import new_response_url
from slack_emulator.state import EmulatorState, Reply
from slack_emulator.tokens import Token
from slack_emulator.workspace import TeamInfo, user_record


class Seeding:
    _state: EmulatorState

    # ---- workspaces --------------------------------------------------------------------
    def add_team(
        self,
        team_id: str,
        name: str | None = None,
        *,
        bot_user_id: str | None = None,
        bot_id: str | None = None,
        installed: bool = True,
    ) -> TeamInfo:
        """Another workspace. Installed teams get a non-expiring bot token right away; leave
        `installed=False` to install through OAuth (approve_install + oauth.v2.access)."""
        with self._state.lock:
            ws = self._state.add_team(
                team_id, name or team_id, bot_user_id or f"UB{team_id}", bot_id or f"BB{team_id}"
            )
            if installed:
                self._install(ws.team_id, f"xoxb-{team_id}-emulator")
            return ws.info()

    def _install(self, team_id: str, bot_token: str) -> None:
        ws = self._state.team(team_id)
        ws.bot_token = bot_token
        self._state.tokens[bot_token] = Token(bot_token, "bot", team_id, ws.bot_user_id)

    def team(self, team_id: str | None = None) -> TeamInfo:
        """The workspace `team_id` (default: the emulator's first team)."""
        with self._state.lock:
            return self._state.team(team_id).info()

    @property
    def teams(self) -> list[TeamInfo]:
        with self._state.lock:
            return [ws.info() for ws in self._state.teams.values()]

    @property
    def team_id(self) -> str:
        return self._state.default_team_id

    @property
    def bot_user_id(self) -> str:
        return self.team().bot_user_id

    @property
    def bot_id(self) -> str:
        return self.team().bot_id

    @property
    def bot_token(self) -> str:
        """The default team's current bot token."""
        return str(self.team().bot_token)

    @bot_token.setter
    def bot_token(self, token: str) -> None:
        """Give the default team this bot token instead (a realistic-looking one, say)."""
        with self._state.lock:
            old = self._state.team(None).bot_token
            if old:
                self._state.tokens.pop(old, None)
            self._install(self._state.default_team_id, token)

    @property
    def app_id(self) -> str:
        return self._state.app_id

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "UTC",
        tz_offset: int | None = None,
        is_bot: bool = False,
        email: str | None = None,
        real_name: str | None = None,
        *,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        with self._state.lock:
            ws = self._state.team(team_id)
            record = user_record(ws.team_id, user_id, name, tz, tz_offset, is_bot, email, real_name)
            ws.users[user_id] = record
            return copy.deepcopy(record)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: list[str] | None = None,
        bot_is_member: bool = True,
        *,
        team_id: str | None = None,
    ) -> None:
        with self._state.lock:
            self._state.team(team_id).add_channel(channel_id, name, members or [], bot_is_member)

    def post_as_user(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        at: float | None = None,
        *,
        team_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """A human's message; `at` (Unix seconds) back-dates it, as history would be."""
        with self._state.lock:
            ws = self._state.team(team_id)
            target = ws.resolve_channel(channel, ids_only=False)
            if target is None:
                raise KeyError(f"unknown channel {channel!r}")
            message: dict[str, Any] = {"user": user, "text": text, "team": ws.team_id}
            if at is not None:
                message["ts"] = f"{at:.6f}"
            if thread_ts:
                message["thread_ts"] = thread_ts
            if metadata is not None:
                message["metadata"] = metadata
            return str(ws.add_message(target, message)["ts"])

    def new_trigger_id(self, view_id: str | None = None, team_id: str | None = None) -> str:
        with self._state.lock:
            return self._state.new_trigger(view_id, team_id or self._state.default_team_id)

    def new_response_url(
        self,
        channel_id: str | None = None,
        message_ts: str | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> str:
        with self._state.lock:
            team = self._state.team(team_id).team_id
            return new_response_url(self._state, channel_id, message_ts, user_id, team)

    def fail_next(
        self, method: str, error: str, status: int = 200, retry_after: int | None = None
    ) -> None:
        headers: dict[str, str] = {}
        if status == 429 or retry_after is not None:
            headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
        with self._state.lock:
            self._state.failures.setdefault(method, deque()).append(
                Reply({"ok": False, "error": error}, status=status, headers=headers)
            )

    # ---- the app's settings and OAuth --------------------------------------------------
    def configure_app(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_urls: list[str] | None = None,
        token_rotation: bool | None = None,
        token_ttl: int | None = None,
        home_tab: bool | None = None,
    ) -> None:
        """What the app's settings page holds; only the given fields change."""
        with self._state.lock:
            app = self._state.app
            if client_id is not None:
                app.client_id = client_id
            if client_secret is not None:
                app.client_secret = client_secret
            if redirect_urls is not None:
                app.redirect_urls = list(redirect_urls)
            if token_rotation is not None:
                app.token_rotation = token_rotation
            if token_ttl is not None:
                app.token_ttl = token_ttl
            if home_tab is not None:
                app.home_tab_enabled = home_tab

    @property
    def client_id(self) -> str:
        return self._state.app.client_id

    @property
    def client_secret(self) -> str:
        return self._state.app.client_secret

    @property
    def app_token(self) -> str:
        """The app-level (xapp-) token that apps.connections.open accepts."""
        return self._state.app.app_token

    def authorize_url(
        self,
        scope: str,
        *,
        redirect_uri: str | None = None,
        state: str | None = None,
        user_scope: str | None = None,
    ) -> str:
        """An "Add to Slack" link for this app, as a bot's install page would build it."""
        params = {"client_id": self.client_id, "scope": scope}
        for key, value in (
            ("user_scope", user_scope),
            ("redirect_uri", redirect_uri),
            ("state", state),
        ):
            if value is not None:
                params[key] = value
        return f"{self._state.base_url}/oauth/v2/authorize?{urlencode(params)}"

    def approve_install(self, team_id: str, user_id: str, authorize_url: str) -> str:
        """`user_id` of `team_id` clicks Allow on `authorize_url`: returns the redirect URL
        (redirect_uri?code=...&state=...). Raises oauth.AuthorizePageError when Slack would
        show an error page instead (invalid_client_id, bad_redirect_uri, no_redirect_uri)."""
        with self._state.lock:
            return oauth.approve(self._state, team_id, user_id, authorize_url)

    def deny_install(self, authorize_url: str) -> str:
        """The user clicks Cancel: redirect_uri?error=access_denied&state=..."""
        with self._state.lock:
            return oauth.deny(self._state, authorize_url)

    def sign_in(self, team_id: str, user_id: str) -> None:
        """Who GET /oauth/v2/authorize approves as (a browser's Slack session)."""
        with self._state.lock:
            self._state.browser_user = (self._state.team(team_id).team_id, user_id)

    def revoke_token(self, token: str) -> None:
        """The token stops working (token_revoked), as after an uninstall."""
        with self._state.lock:
            found = self._state.tokens.get(token)
            if found is None:
                raise KeyError("unknown token")
            found.revoked = True
