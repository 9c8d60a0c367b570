"""The HTTP front: one WSGI app for Slack's Request URL, health checks, metrics and webhooks.

Every request gets a request id (the caller's `X-Request-Id` when it is sane, else a new one),
returned in the `X-Request-Id` header and stamped on every log line written while it is
handled; every request is counted by route and status for `/metrics`.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.deps import Deps
from bot.http import bolt_request
from bot.http.slack_gate import Refused, SlackRequest, parse, verify
from bot.observability.health import check_readiness
from bot.observability.logs import log_context
from bot.observability.metrics import (
    CONTENT_TYPE,
    app_registry,
    count_http_request,
    render,
    time_ack,
)
from storage.db import is_reachable

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
MAX_BODY = 1024 * 1024
SLACK_PATH = "/slack/events"
VERIFIED = "postmortem_bot.slack_request"
RAW_BODY = "postmortem_bot.slack_body"
OWN_ROUTES = ("/healthz", "/readyz", "/metrics", SLACK_PATH)
METHODS = ("GET", "HEAD", "POST")
# A caller's request id is kept only when it is short and plain: it goes into every log line.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
TEAM_ID = re.compile(r"^[A-Z0-9]{1,32}$")
# Slack payload types that get their own `slack_ack_seconds` series; anything else is "other".
PAYLOAD_TYPES = frozenset({
    "slash_command", "block_actions", "block_suggestion", "view_submission", "view_closed",
    "message_action", "shortcut", "event_callback", "url_verification", "ssl_check",
    "interactive_message", "dialog_submission",
})


def create_wsgi_app(deps: Deps, app: App, webhooks: dict[str, WsgiApp] | None = None) -> WsgiApp:
    """The bot's HTTP surface: Slack's Request URL, health, readiness, metrics, webhooks."""
    slack = SlackRequestHandler(app, path=SLACK_PATH)
    routes = dict(webhooks or {})
    # OAuth mode: Bolt's install page and redirect (GET, a browser's; no Slack signature).
    oauth = app.oauth_flow
    oauth_paths = frozenset((oauth.install_path, oauth.redirect_uri_path)) if oauth else frozenset()
    known_routes = frozenset(OWN_ROUTES) | frozenset(routes) | oauth_paths
    secret = deps.settings.slack_signing_secret or ""
    registry = app_registry(deps.engine)

    def route(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if content_length(environ) > MAX_BODY:
            return json_response(start_response, 413, {"error": "body too large"})
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok = is_reachable(deps.engine)
            status = 200 if ok else 503
            return json_response(start_response, status, {"database": "ok" if ok else "down"})
        if path == "/readyz" and method in ("GET", "HEAD"):
            readiness = check_readiness(deps.engine)
            return json_response(start_response, 200 if readiness.ready else 503,
                                 readiness.as_json())
        if path == "/metrics" and method in ("GET", "HEAD"):
            payload = render(registry)
            start_response("200 OK", [("Content-Type", CONTENT_TYPE),
                                      ("Content-Length", str(len(payload)))])
            return [payload]
        if path == SLACK_PATH:
            if method != "POST":
                return json_response(start_response, 405, {"error": "POST only"})
            with deps.background.answering():
                refused = check_slack_request(environ, secret)
                if refused is not None:
                    return json_response(start_response, refused.status,
                                         {"error": refused.reason})
                with log_context(team_id=_slack_team(environ)), \
                        time_ack(slack_listener(environ)):
                    return bolt_request.dispatch(app, environ, environ[RAW_BODY],
                                                 environ[VERIFIED], start_response)
        if path in oauth_paths:
            if method != "GET":
                return json_response(start_response, 405, {"error": "GET only"})
            return slack(environ, start_response)
        if path in routes:
            if method != "POST":
                return json_response(start_response, 405, {"error": "POST only"})
            return routes[path](environ, start_response)
        return json_response(start_response, 404, {"error": "not found"})

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = _request_id(environ)
        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "GET"))
        answered: list[int] = []

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.append(int(status.split(" ", 1)[0]))
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-Id", request_id))
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        with log_context(request_id=request_id):
            try:
                return route(environ, respond)
            finally:
                status = answered[-1] if answered else 500
                elapsed = time.perf_counter() - started
                count_http_request(
                    path if path in known_routes else "other",
                    method if method in METHODS else "other",
                    status,
                    elapsed,
                )
                if log.isEnabledFor(logging.DEBUG):
                    # The workspace is known only once Slack's signature was checked.
                    with log_context(team_id=_slack_team(environ)):
                        log.debug("%s %s %s %.1fms", method, path[:200], status,
                                  elapsed * 1000)

    return wsgi


# A new request id: this process's random prefix and a count, unique across replicas without
# a call to the OS's random source on every request.
_ID_PREFIX = uuid.uuid4().hex[:16]
_id_count = itertools.count(1)


def _request_id(environ: dict[str, Any]) -> str:
    incoming = environ.get("HTTP_X_REQUEST_ID")
    if incoming and REQUEST_ID.match(incoming := str(incoming).strip()):
        return incoming
    return f"{_ID_PREFIX}{next(_id_count):016x}"


def check_slack_request(environ: dict[str, Any], secret: str) -> Refused | None:
    """Verify, then decode (bot/http/slack_gate.py); the bytes and what they decoded to are
    kept in `environ` for Bolt. None when the request may go on; the refusal (logged once)
    otherwise."""
    body = environ[RAW_BODY] = read_body(environ)
    headers = {
        name: str(environ.get("HTTP_" + name.upper().replace("-", "_")) or "")
        for name in ("x-slack-request-timestamp", "x-slack-signature")
    }
    try:
        verify(body, headers, secret, time.time())
        environ[VERIFIED] = parse(body, str(environ.get("CONTENT_TYPE") or ""))
    except Refused as refused:
        log.warning("slack request refused (%s): %s", refused.status, refused.reason)
        return refused
    return None


def _slack_payload(environ: dict[str, Any]) -> dict[str, Any]:
    """The verified request's payload ({} before or without verification)."""
    request = environ.get(VERIFIED)
    return dict(request.payload) if isinstance(request, SlackRequest) else {}


def slack_listener(environ: dict[str, Any]) -> str:
    """The `listener` label of a Slack request: its payload type, from a fixed set."""
    request = environ.get(VERIFIED)
    kind = request.kind if isinstance(request, SlackRequest) else None
    return kind if kind in PAYLOAD_TYPES else "other"


def _slack_team(environ: dict[str, Any]) -> str | None:
    payload = _slack_payload(environ)
    team, user = payload.get("team"), payload.get("user")
    candidates = (
        payload.get("team_id"),
        team.get("id") if isinstance(team, dict) else None,
        user.get("team_id") if isinstance(user, dict) else None,
    )
    for value in candidates:
        if isinstance(value, str) and TEAM_ID.match(value):
            return value
    return None


def json_response(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    reasons = {
        200: "OK",
        201: "Created",
        202: "Accepted",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        413: "Payload Too Large",
        415: "Unsupported Media Type",
        422: "Unprocessable Entity",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def content_length(environ: dict[str, Any]) -> int:
    """The declared length; a header that is not a number counts as too large."""
    value = str(environ.get("CONTENT_LENGTH") or "0").strip()
    return int(value) if value.isdigit() and len(value) < 12 else MAX_BODY + 1


def read_body(environ: dict[str, Any]) -> bytes:
    """At most MAX_BODY bytes of the body (a longer one was refused before reading)."""
    length = min(content_length(environ), MAX_BODY)
    return environ["wsgi.input"].read(length) if length else b""
