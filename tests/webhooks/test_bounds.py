"""Numbers and documents from incident tools are bounded (issue 9, finding 3): an absurd time is
a clear 422 in milliseconds, never a hung thread, and nothing is stored."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select

from storage.tables import Incident
from tests.fakes import webhooks as wh
from tests.fakes.bot import WebhookBot

PATH = "/webhooks/opsgenie"


def raw_alert(updated: str) -> bytes:
    """An Opsgenie close whose updatedAt is written as given (json.dumps cannot write 1e400)."""
    text = wh.dumps(wh.og_alert()).decode()
    return text.replace("1795336800000000000", updated).encode()


def incidents(hooks: WebhookBot) -> int:
    with hooks.bot.session() as s:
        return int(s.exec(select(func.count()).select_from(Incident)).one())


@pytest.mark.parametrize("updated", [
    "1e400", "-1e400", "NaN", "Infinity", "-1e20", "-1", "123456789012345678901234567890",
    '"123456789012345678901234567890"', "1e19", '"1999-12-31T23:59:00Z"',
    '"2100-01-01T00:00:00Z"', '"99999-01-01T00:00:00Z"', "true", "[1]",
])
def test_an_absurd_time_is_a_quick_422(hooks: WebhookBot, updated: str) -> None:
    started = time.monotonic()
    response = hooks.post(PATH, raw_alert(updated), wh.og_headers())
    assert time.monotonic() - started < 2
    assert response.status in (400, 422), response.text
    assert "updatedAt" in response.json()["error"] or response.status == 400
    assert incidents(hooks) == 0


def test_epoch_units_still_read_by_magnitude(hooks: WebhookBot) -> None:
    # Seconds, ms, µs and ns of the same instant all mean that instant.
    for updated in ("1795336800", "1795336800000", "1795336800000000"):
        alert = json.loads(raw_alert(updated))
        alert["alert"]["alertId"] = f"alert-{updated}"
        response = hooks.post(PATH, wh.dumps(alert), wh.og_headers())
        assert response.status == 201, response.text
    assert incidents(hooks) == 3


def test_infinite_times_cannot_starve_the_server(hooks: WebhookBot) -> None:
    """Eight at once (the server has four threads here) and /healthz still answers."""
    def send(_: int) -> int:
        return int(hooks.post(PATH, raw_alert("1e400"), wh.og_headers()).status)

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(8)))
    assert set(statuses) <= {400, 422}
    with urllib.request.urlopen(f"{hooks.bot.url}/healthz", timeout=2) as answer:
        assert answer.status == 200


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("body", [
    '{"action": "Close", "alert": ' + deep(5000) + "}",
    '{"action": "Close", "alert": {"details": ' + deep(40) + "}}",
    "[1, 2]",
])
def test_deep_or_non_object_documents_are_400(hooks: WebhookBot, body: str) -> None:
    response = hooks.post(PATH, body.encode(), wh.og_headers())
    assert response.status == 400, response.text
    assert incidents(hooks) == 0


def test_a_body_over_the_limit_is_413(hooks: WebhookBot) -> None:
    response = hooks.post(PATH, b"{" + b" " * (1024 * 1024) + b"}", wh.og_headers())
    assert response.status == 413


