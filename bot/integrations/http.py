"""JSON over HTTP with the standard library: enough for two REST APIs, no client to pin."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class TrackerError(Exception):
    """The tracker refused or could not be reached; `str(err)` is fit to show a user."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def request_json(
    method: str, url: str, *, headers: dict[str, str], body: Any = None, name: str
) -> Any:
    """Send `body` as JSON, return the decoded answer; non-2xx and network errors raise."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/json", "User-Agent": "postmortem-bot",
        **({"Content-Type": "application/json"} if data is not None else {}), **headers,
    })
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        payload = _decode(err.read())
        raise TrackerError(
            f"{name} answered {err.code}: {_reason(payload) or err.reason}", err.code, payload
        ) from err
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise TrackerError(f"{name} could not be reached: {reason}") from err
    return _decode(raw)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")[:200]


def _reason(payload: Any) -> str | None:
    """The human part of GitHub's {"message"} or Jira's {"errorMessages", "errors"}."""
    if isinstance(payload, str):
        return payload.strip() or None
    if not isinstance(payload, dict):
        return None
    parts: list[str] = []
    if payload.get("message"):
        parts.append(str(payload["message"]))
    parts += [str(m) for m in payload.get("errorMessages") or []]
    errors = payload.get("errors")
    if isinstance(errors, dict):
        parts += [f"{k}: {v}" for k, v in errors.items()]
    elif isinstance(errors, list):
        parts += [str(e.get("message") or e) if isinstance(e, dict) else str(e) for e in errors]
    return "; ".join(parts)[:300] or None
