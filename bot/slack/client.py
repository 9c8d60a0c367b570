"""The Web API client: every call to SLACK_API_URL, with a retry policy per kind of method,
counted per method for /metrics, and with no broadcast mention leaving the bot.

A call that changes nothing (reads, `chat.update`, `views.*`) is retried after a dropped
connection and waits out a short 429. A call that posts (`chat.postMessage`, file uploads,
ephemeral messages) is never retried here: Slack may have taken it before the connection
dropped. Posts go through the outbox (bot/slack/delivery.py), which looks before it retries.
"""

from __future__ import annotations

import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from bot.observability.metrics import count_slack_call

# Methods that post something new: never repeated blindly.
POSTING = frozenset({
    "chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage", "chat.meMessage",
    "files.completeUploadExternal", "files.upload", "conversations.create",
})
# Wait out a 429 inline only when Slack asks for a short pause: a view must open within the
# trigger's 3 seconds, and a longer wait belongs to the outbox's retry, not a thread.
MAX_INLINE_WAIT = 2.0


def method_of(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1]


class SafeConnectionRetry(ConnectionErrorRetryHandler):
    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if method_of(request) in POSTING:
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429 or method_of(request) in POSTING:
            return False
        return retry_after(response) <= MAX_INLINE_WAIT


def retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return float(value)
            except (TypeError, ValueError):
                return MAX_INLINE_WAIT + 1
    return 1.0


# The bot never means to ping a whole channel or group; user text that slipped through a
# builder unescaped must not either. Escaped, these read as typed and notify nobody.
BROADCAST = re.compile(r"<!(?:channel|here|everyone|subteam\^[^>]*)(?:\|[^>]*)?>")


def defuse(text: str) -> str:
    """`text` with every broadcast mention escaped."""
    if "<!" not in text:
        return text
    return BROADCAST.sub(lambda m: m.group(0).replace("<", "&lt;").replace(">", "&gt;"), text)


def defuse_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Where Slack turns text into mentions: a message's `text` and every mrkdwn text object.
    Plain text and input values are left alone: they notify nobody, and an input's initial
    value must come back as the user typed it."""
    out = {k: _walk(v) for k, v in payload.items()}
    if isinstance(out.get("text"), str):
        out["text"] = defuse(out["text"])
    return out


def _walk(value: Any) -> Any:
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _walk(v) for k, v in value.items()}
    if out.get("type") == "mrkdwn" and isinstance(out.get("text"), str):
        out["text"] = defuse(out["text"])
    return out


class BotClient(WebClient):
    """Every Web API call of the bot goes through `api_call`: the one place to guard and count."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        for part in ("json", "params", "data"):
            if isinstance(kwargs.get(part), dict):
                kwargs[part] = defuse_payload(kwargs[part])
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as err:
            count_slack_call(api_method, str(err.response.get("error") or "unknown"))
            raise
        except Exception as err:
            count_slack_call(api_method, type(err).__name__)
            raise
        count_slack_call(api_method, None)
        return response


def make_client(token: str | None, base_url: str, **kwargs: Any) -> WebClient:
    """A client aimed at `base_url` (SLACK_API_URL) with the retry policy above, counting its
    calls per method for /metrics."""
    return BotClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[SafeConnectionRetry(max_retry_count=2),
                        ShortRateLimitRetry(max_retry_count=1)],
        **kwargs,
    )
