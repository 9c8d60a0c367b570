"""What every webhook shares: rejections as short JSON answers, signatures, payload reading.

A handler raises `Rejected` for anything the sender got wrong; `endpoint` turns it into a 4xx
with one log line, so a bad delivery never leaves rows behind or floods the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from bot.deps import Deps
from bot.http.bounded_json import BadJson, loads_object
from bot.http.wsgi import StartResponse, WsgiApp, json_response, read_body
from flows.errors import FieldErrors

log = logging.getLogger(__name__)

Answer = tuple[int, dict[str, Any]]


class Rejected(Exception):
    """The delivery is refused: `status` and a short reason for the sender."""

    def __init__(self, status: int, reason: str, **detail: Any) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.detail = detail


class Request:
    """The parts of a WSGI request a webhook reads: raw body, headers, query."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.body = read_body(environ)
        self.environ = environ
        self.query = _parse_query(str(environ.get("QUERY_STRING") or ""))

    def header(self, name: str) -> str | None:
        key = "HTTP_" + name.upper().replace("-", "_")
        value = self.environ.get(key)
        return str(value) if value is not None else None

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (finite numbers, bounded nesting); 400 otherwise."""
        try:
            return loads_object(self.body.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise Rejected(400, "malformed JSON: not UTF-8") from err
        except BadJson as err:
            raise Rejected(400, str(err)) from err


Handler = Callable[[Request], Answer]


def endpoint(name: str, secret_names: Iterable[str], deps: Deps, handler: Handler) -> WsgiApp:
    """A WSGI app that fails closed (503) until every secret in `secret_names` is set."""
    names = tuple(secret_names)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        missing = [n for n in names if not setting(deps, n)]
        if missing:
            log.warning("webhook %s refused: %s is not set", name, missing[0])
            return json_response(
                start_response, 503, {"error": f"{name} webhook not configured ({missing[0]})"}
            )
        request = Request(environ)
        try:
            status, body = handler(request)
        except Rejected as err:
            log.warning("webhook %s rejected (%s): %s", name, err.status, err.reason)
            return json_response(start_response, err.status, {"error": err.reason, **err.detail})
        except FieldErrors as err:
            log.warning("webhook %s rejected (422): %s", name, err)
            return json_response(start_response, 422, {"error": str(err), "fields": err.errors})
        except Exception:
            # 500 so the tool retries later; the traceback is ours to read, not the sender's.
            log.exception("webhook %s failed", name)
            return json_response(start_response, 500, {"error": "internal error"})
        return json_response(start_response, status, body)

    return wsgi


def setting(deps: Deps, name: str) -> str | None:
    value = (deps.settings.extra.get(name) or "").strip()
    return value or None


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison, so timing does not leak how much of a secret matched."""
    return hmac.compare_digest(a.encode(), b.encode())


def require(data: Mapping[str, Any], *names: str, where: str = "") -> None:
    """422 naming every absent or empty field at once, so a sender fixes them in one go."""
    missing = [n for n in names if data.get(n) in (None, "", [], {})]
    if missing:
        prefix = f"{where}." if where else ""
        raise Rejected(422, "missing fields: " + ", ".join(prefix + n for n in missing))


def obj(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A nested object field; 422 when it is absent or not an object."""
    value = data.get(name)
    if not isinstance(value, dict):
        raise Rejected(422, f"missing fields: {name}")
    return value


# Epoch numbers by magnitude: seconds, milliseconds, microseconds, nanoseconds (Opsgenie sends
# createdAt in ms and updatedAt in ns). A number past the last is no time at all.
_EPOCH_UNITS = ((1e11, 1), (1e14, 1e3), (1e17, 1e6), (1e20, 1e9))
# Incidents happen in this century; anything outside is a bug or an attack, not a time.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def parse_time(value: Any, field: str) -> datetime | None:
    """ISO 8601 with an offset, or an epoch number (seconds, ms, µs or ns by magnitude), from
    2000 to 2099; 422 for anything else (NaN, infinities, negative or absurd numbers)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise Rejected(422, f"{field}: not a time")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value) if len(value) <= 21 else math.inf
    if isinstance(value, int | float):
        at = _from_epoch(float(value), field)
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as err:
            raise Rejected(422, f"{field}: not an ISO 8601 time") from err
        if at.tzinfo is None:
            raise Rejected(422, f"{field}: give a UTC offset (e.g. 2026-11-22T09:00:00Z)")
    else:
        raise Rejected(422, f"{field}: not a time")
    if not EARLIEST <= at < LATEST:
        raise Rejected(422, f"{field}: {at:%Y-%m-%d} is not a plausible incident time")
    return at.astimezone(UTC)


def _from_epoch(number: float, field: str) -> datetime:
    if not math.isfinite(number) or number < 0:
        raise Rejected(422, f"{field}: not a time ({number!r})")
    for limit, per_second in _EPOCH_UNITS:
        if number < limit:
            return datetime.fromtimestamp(number / per_second, UTC)
    raise Rejected(422, f"{field}: {number:.3g} is too large for an epoch time")


def _parse_query(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True))
