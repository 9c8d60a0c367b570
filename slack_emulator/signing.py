"""SignedSlackClient: drives the BOT's HTTP endpoint exactly as Slack's servers would."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from slack_emulator import payloads

if TYPE_CHECKING:
    from slack_emulator.server import SlackEmulator


def sign(secret: str, body: bytes | str, timestamp: int | str) -> dict[str, str]:
    """Slack's v0 request signature headers for `body` sent at `timestamp`."""
    raw = body if isinstance(body, bytes) else body.encode()
    base = f"v0:{timestamp}:".encode() + raw
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class SignedSlackClient:
    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        emulator: SlackEmulator | None = None,
        team_id: str = "T0001",
        clock: Callable[[], float] = time.time,
        path: str = "/slack/events",
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.emulator = emulator
        self.team_id = team_id
        self.clock = clock
        self.path = path
        self.timeout = timeout
        self._events = 0

    # ---- transport ---------------------------------------------------------------------
    def send_raw(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return Response(resp.status, resp.read(), dict(resp.headers.items()))
        except urllib.error.HTTPError as e:
            # Non-2xx answers are results to assert on, not exceptions.
            return Response(e.code, e.read(), dict(e.headers.items()))

    def _post(self, body: bytes, content_type: str) -> Response:
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign(self.signing_secret, body, int(self.clock())),
        }
        return self.send_raw(self.path, body, headers)

    def _form(self, fields: dict[str, str]) -> Response:
        return self._post(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def for_team(self, team_id: str) -> SignedSlackClient:
        """The same client, sending requests as coming from workspace `team_id`."""
        other = copy.copy(self)
        other.team_id = team_id
        return other

    # ---- helpers -----------------------------------------------------------------------
    @property
    def _app_id(self) -> str:
        return self.emulator.app_id if self.emulator else "A0001"

    @property
    def _known_team(self) -> bool:
        return self.emulator is not None and any(
            t.team_id == self.team_id for t in self.emulator.teams
        )

    @property
    def _bot_user_id(self) -> str:
        if self.emulator is None:
            return "UBOT0001"
        if self._known_team:
            return self.emulator.team(self.team_id).bot_user_id
        return self.emulator.bot_user_id

    def _trigger(self, view_id: str | None = None) -> str:
        if self.emulator is None:
            return f"{int(self.clock())}.0.emulator"
        return self.emulator.new_trigger_id(view_id, self.team_id if self._known_team else None)

    def _response_url(
        self, channel_id: str | None, message_ts: str | None, user_id: str | None
    ) -> str:
        if self.emulator is None:
            return "https://hooks.slack.com/actions/T0001/0/emulator"
        team = self.team_id if self._known_team else None
        return self.emulator.new_response_url(channel_id, message_ts, user_id, team)

    def _current_view(self, view: dict[str, Any] | str) -> dict[str, Any]:
        """The emulator's latest copy, so payloads carry the hash Slack would send now."""
        view_id = view if isinstance(view, str) else view.get("id")
        if self.emulator is not None and view_id in self.emulator.views:
            return self.emulator.views[str(view_id)]
        if isinstance(view, str):
            raise KeyError(f"unknown view {view!r}")
        return view

    # ---- what Slack sends --------------------------------------------------------------
    def command(
        self,
        command: str,
        text: str = "",
        user_id: str = "U1",
        channel_id: str = "C1",
        channel_name: str | None = None,
        user_name: str | None = None,
    ) -> Response:
        return self._form(
            payloads.slash_command(
                team_id=self.team_id,
                app_id=self._app_id,
                command=command,
                text=text,
                user_id=user_id,
                channel_id=channel_id,
                channel_name=channel_name,
                user_name=user_name,
                response_url=self._response_url(channel_id, None, user_id),
                trigger_id=self._trigger(),
            )
        )

    def interaction(self, payload: dict[str, Any]) -> Response:
        return self._form({"payload": json.dumps(payload)})

    def event(self, event: dict[str, Any], event_id: str | None = None) -> Response:
        self._events += 1
        now = int(self.clock())
        envelope = payloads.event_callback(
            team_id=self.team_id,
            app_id=self._app_id,
            bot_user_id=self._bot_user_id,
            event={"event_ts": f"{self.clock():.6f}", **event},
            event_id=event_id or f"Ev{now}{self._events:06d}",
            event_time=now,
        )
        return self._post(json.dumps(envelope).encode(), "application/json")

    def app_home_opened(self, user_id: str, tab: str = "home") -> Response:
        """The user opens the app's Home (or Messages) tab; carries the published home view,
        if any, like Slack does."""
        event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "tab": tab}
        if self.emulator is not None:
            team = self.team_id if self._known_team else None
            event["channel"] = self.emulator.im_channel(user_id, team)
            home = self.emulator.home_of(user_id, team)
            if home is not None and tab == "home":
                event["view"] = home
        return self.event(event)

    def home_action(
        self, user_id: str, action_id: str, value: Any = None, block_id: str | None = None
    ) -> Response:
        """A click in the user's published home tab: container type "view", view type home."""
        if self.emulator is None:
            raise RuntimeError("home_action needs the emulator that holds the home tab")
        home = self.emulator.home_of(user_id, self.team_id if self._known_team else None)
        if home is None:
            raise KeyError(f"no home tab published for {user_id}")
        return self.block_action(user_id, action_id, value=value, view=home, block_id=block_id)

    def block_action(
        self,
        user_id: str,
        action_id: str,
        value: Any = None,
        view: dict[str, Any] | str | None = None,
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
        block_id: str | None = None,
    ) -> Response:
        current = self._current_view(view) if view is not None else None
        blocks = (current or message or {}).get("blocks")
        found_block, element = payloads.find_element(blocks, action_id)
        action = {
            "action_id": action_id,
            "block_id": block_id or found_block or "emulator",
            **payloads.element_value(element, value),
            "action_ts": payloads.action_ts(),
        }
        response_url = None
        if current is None:
            ts = message.get("ts") if message else None
            response_url = self._response_url(channel_id, ts, user_id)
        payload = payloads.block_actions(
            team_id=self.team_id,
            app_id=self._app_id,
            user_id=user_id,
            trigger_id=self._trigger(current["id"] if current else None),
            action=action,
            channel_id=channel_id,
            message=message,
            view=current,
            response_url=response_url,
        )
        return self.interaction(payload)

    def view_submission(
        self,
        user_id: str,
        view: dict[str, Any] | str,
        values: dict[str, Any],
        apply_response: bool = True,
    ) -> Response:
        """Submit a modal. With apply_response, the bot's ack (close / response_action) is
        applied to the emulator's view stack as Slack would."""
        current = self._current_view(view)
        # What the inputs already hold (kept across updates), then what this user typed.
        entered = {block: dict(actions) for block, actions in
                   (current.get("state") or {}).get("values", {}).items()}
        for block, actions in payloads.normalize_values(current, values).items():
            entered.setdefault(block, {}).update(actions)
        submitted = {**current, "state": {"values": entered}}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "emulator"},
            "user": payloads.user_dict(user_id, self.team_id),
            "api_app_id": self._app_id,
            "token": "emulator-verification-token",
            "trigger_id": self._trigger(current.get("id")),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = self.interaction(payload)
        if apply_response and self.emulator is not None and response.status == 200:
            try:
                body = response.json() if response.body.strip() else {}
            except ValueError:
                body = {}
            self.emulator.apply_view_response(current["id"], body if isinstance(body, dict) else {},
                                              entered=submitted["state"])
        return response

    def view_closed(self, user_id: str, view: dict[str, Any] | str) -> Response:
        current = self._current_view(view)
        if self.emulator is not None:
            self.emulator.close_view(current["id"])
        return self.interaction(
            {
                "type": "view_closed",
                "team": {"id": self.team_id, "domain": "emulator"},
                "user": payloads.user_dict(user_id, self.team_id),
                "api_app_id": self._app_id,
                "view": current,
                "is_cleared": False,
            }
        )

    def message_shortcut(
        self, user_id: str, callback_id: str, channel_id: str, message: dict[str, Any]
    ) -> Response:
        return self.interaction(
            {
                "type": "message_action",
                "token": "emulator-verification-token",
                "action_ts": payloads.action_ts(),
                "team": {"id": self.team_id, "domain": "emulator"},
                "user": payloads.user_dict(user_id, self.team_id),
                "channel": {"id": channel_id, "name": channel_id.lower()},
                "callback_id": callback_id,
                "trigger_id": self._trigger(),
                "message_ts": message.get("ts"),
                "message": message,
                "response_url": self._response_url(channel_id, message.get("ts"), user_id),
                "api_app_id": self._app_id,
                "is_enterprise_install": False,
            }
        )
