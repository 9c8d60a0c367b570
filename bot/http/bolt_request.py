"""Slack's request handed to Bolt already decoded.

The gate (bot/http/slack_gate.py) has verified the signature and decoded the body to check its
shape; Bolt would decode the same bytes again (a modal's submission is kilobytes of
URL-encoded JSON, the largest single cost of its ack). Bolt gets the payload the gate decoded
instead, and the raw body beside it, so its own signature check still runs on the bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.request.internals import build_context

from bot.http.slack_gate import SlackRequest


class DecodedRequest(BoltRequest):
    def __init__(self, raw_body: str, decoded: SlackRequest, headers: dict[str, str],
                 query: str) -> None:
        # An empty body decodes to {} at no cost; the decoded payload replaces it.
        super().__init__(body="", query=query, headers=dict(headers))
        self.raw_body = raw_body
        self.body = decoded.payload
        self.context = build_context(self.context, self.body)


def headers_of(environ: dict[str, Any]) -> dict[str, str]:
    """The request headers as Bolt reads them (its WSGI adapter's naming)."""
    headers = {}
    for key, value in environ.items():
        if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            headers[key.lower().replace("_", "-")] = value
        elif key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
    return headers


def dispatch(app: App, environ: dict[str, Any], body: bytes, decoded: SlackRequest,
             start_response: Callable[..., Any]) -> Iterable[bytes]:
    response: BoltResponse = app.dispatch(DecodedRequest(
        body.decode("utf-8"), decoded, headers_of(environ), str(environ.get("QUERY_STRING", ""))))
    payload = (response.body or "").encode("utf-8")
    status = HTTPStatus(response.status)
    headers = [(key, value) for key, values in response.headers.items()
               if key.lower() != "content-length" for value in values]
    headers.append(("content-length", str(len(payload))))
    start_response(f"{status.value} {status.phrase}", headers)
    return [payload]
