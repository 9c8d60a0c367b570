"""Slack's requests checked before anything parses them.

Order matters: the signature and its timestamp are checked on the raw bytes first (401), and
only a request Slack signed is decoded and its shape checked (400). A refusal is one log line
and nothing else: no listener runs, nothing is stored, nothing is sent to Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from bot.http.bounded_json import BadJson, loads_object
from bot.http.form_body import parse_form

log = logging.getLogger(__name__)

REPLAY_WINDOW = 300  # seconds: Slack's own advice for the timestamp's age
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class SlackRequest:
    """A verified request: its payload type and the decoded payload."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


def verify(body: bytes, headers: dict[str, str], secret: str, now: float) -> None:
    """401 unless Slack signed exactly these bytes within the replay window."""
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.match(stamp):
        raise Refused(401, "missing or malformed X-Slack-Request-Timestamp")
    if abs(now - int(stamp)) > REPLAY_WINDOW:
        raise Refused(401, "request timestamp outside the 5-minute window")
    if not _SIGNATURE.match(signature):
        raise Refused(401, "missing or malformed X-Slack-Signature")
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(401, "signature does not match")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Refused(401, "body is not UTF-8") from err


def parse(body: bytes, content_type: str) -> SlackRequest:
    """The signed body decoded, its shape checked against what the listeners read (400)."""
    text = body.decode("utf-8")
    if content_type.startswith("application/json"):
        data = _json(text, "body")
        kind = data.get("type")
        if kind == "event_callback":
            _require(isinstance(data.get("event"), dict)
                     and isinstance(data["event"].get("type"), str), "event without a type")
        elif kind not in ("url_verification", "app_rate_limited"):
            raise Refused(400, f"unknown event envelope {kind!r}")
        return SlackRequest(str(kind), data)
    form = dict(parse_form(text))
    if "payload" in form:
        payload = _json(form["payload"], "payload")
        kind = payload.get("type")
        _require(isinstance(kind, str), "payload without a type")
        _check_interaction(str(kind), payload)
        return SlackRequest(str(kind), payload)
    if "command" in form:
        for name in ("command", "user_id", "team_id"):
            _require(bool(form.get(name)), f"slash command without {name}")
        return SlackRequest("slash_command", form)
    if "ssl_check" in form:
        return SlackRequest("ssl_check", form)
    raise Refused(400, "neither a command, an interaction nor an event")


def _check_interaction(kind: str, payload: dict[str, Any]) -> None:
    user = payload.get("user")
    _require(isinstance(user, dict) and isinstance(user.get("id"), str), "payload without user")
    if kind == "block_actions":
        actions = payload.get("actions")
        _require(isinstance(actions, list) and bool(actions)
                 and all(isinstance(a, dict) and isinstance(a.get("action_id"), str)
                         for a in actions), "block_actions without actions")
    elif kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        _require(isinstance(view, dict), f"{kind} without a view")
        if kind == "view_submission":
            state = view.get("state")
            _require(isinstance(state, dict) and isinstance(state.get("values"), dict),
                     "view_submission without state values")
            _require(all(isinstance(v, dict) for v in state["values"].values()),
                     "view_submission with malformed state values")
    elif kind in ("shortcut", "message_action"):
        _require(isinstance(payload.get("callback_id"), str), f"{kind} without callback_id")
        if kind == "message_action":
            _require(isinstance(payload.get("message"), dict)
                     and isinstance(payload.get("channel"), dict), "message_action without message")


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        return loads_object(text, what)
    except BadJson as err:
        raise Refused(400, str(err)) from err


def _require(ok: bool, reason: str) -> None:
    if not ok:
        raise Refused(400, reason)
