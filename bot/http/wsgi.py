"""The HTTP front: one WSGI app for Slack's Request URL, health checks and webhooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.deps import Deps
from storage.db import is_reachable

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
MAX_BODY = 1024 * 1024


def create_wsgi_app(deps: Deps, app: App, webhooks: dict[str, WsgiApp] | None = None) -> WsgiApp:
    slack = SlackRequestHandler(app, path="/slack/events")
    routes = dict(webhooks or {})

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if int(environ.get("CONTENT_LENGTH") or 0) > MAX_BODY:
            return json_response(start_response, 413, {"error": "body too large"})
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok = is_reachable(deps.engine)
            status = 200 if ok else 503
            return json_response(start_response, status, {"database": "ok" if ok else "down"})
        if path == "/slack/events":
            if method != "POST":
                return json_response(start_response, 405, {"error": "POST only"})
            return slack(environ, start_response)
        if path in routes:
            if method != "POST":
                return json_response(start_response, 405, {"error": "POST only"})
            return routes[path](environ, start_response)
        return json_response(start_response, 404, {"error": "not found"})

    return wsgi


def json_response(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    reasons = {
        200: "OK",
        202: "Accepted",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        413: "Payload Too Large",
        415: "Unsupported Media Type",
        422: "Unprocessable Entity",
        503: "Service Unavailable",
    }
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""
