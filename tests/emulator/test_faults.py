"""Injected delivery faults, seen through a real slack_sdk WebClient (and a killed process)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from slack_emulator import SlackEmulator

from .conftest import FakeClock

CONNECTION_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError)


def bare_client(emu: SlackEmulator) -> WebClient:
    """No retry handlers: the test sees exactly what the network did."""
    return WebClient(token=emu.bot_token, base_url=emu.api_url, retry_handlers=[])


def test_dropped_connection_after_slack_accepted_the_post(emu: SlackEmulator) -> None:
    client = bare_client(emu)
    emu.drop_connection_after("chat.postMessage")
    with pytest.raises(CONNECTION_ERRORS):
        client.chat_postMessage(channel="C1", text="Post-mortem started")
    # Slack applied it even though the client never heard back.
    assert [m["text"] for m in emu.messages("C1")] == ["Post-mortem started"]
    [call] = emu.calls_to("chat.postMessage")
    assert call.fault == "dropped" and call.ok
    # Only the armed count is dropped.
    assert client.chat_postMessage(channel="C1", text="next")["ok"]


def test_default_sdk_retry_turns_a_drop_into_a_duplicate(emu: SlackEmulator) -> None:
    # WebClient retries connection errors once by default: exactly the duplicate-post risk
    # delivery code has to handle. (Same handler as the default, minus its backoff sleep.)
    retry = ConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0))
    client = WebClient(token=emu.bot_token, base_url=emu.api_url, retry_handlers=[retry])
    emu.drop_connection_after("chat.postMessage", count=1)
    assert client.chat_postMessage(channel="C1", text="once?")["ok"]
    assert [m["text"] for m in emu.messages("C1")] == ["once?", "once?"]


def test_drop_count_and_disarm(emu: SlackEmulator) -> None:
    client = bare_client(emu)
    emu.drop_connection_after("auth.test", count=2)
    for _ in range(2):
        with pytest.raises(CONNECTION_ERRORS):
            client.auth_test()
    assert client.auth_test()["ok"]
    emu.drop_connection_after("auth.test", count=5)
    emu.stop_dropping("auth.test")
    assert client.auth_test()["ok"]


def test_held_response_is_applied_before_it_is_released(emu: SlackEmulator) -> None:
    client = bare_client(emu)
    result: dict[str, Any] = {}

    def post() -> None:
        result["response"] = client.chat_postMessage(channel="C1", text="held")

    with emu.hold_responses("chat.postMessage") as held:
        worker = threading.Thread(target=post)
        worker.start()
        [call] = held.wait()
        assert call.fault == "held" and emu.messages("C1")[0]["text"] == "held"
        worker.join(timeout=0.05)
        assert worker.is_alive() and "response" not in result
    worker.join(timeout=5)
    assert result["response"]["ts"] == call.response["ts"]
    # Released and disarmed: later calls answer at once.
    assert client.chat_postMessage(channel="C1", text="free")["ok"]


def test_release_from_the_emulator(emu: SlackEmulator) -> None:
    client = bare_client(emu)
    held = emu.hold_responses("auth.test")
    worker = threading.Thread(target=client.auth_test)
    worker.start()
    held.wait()
    emu.release()
    worker.join(timeout=5)
    assert not worker.is_alive() and held.released


def test_releasing_after_the_client_vanished_keeps_the_emulator_up(emu: SlackEmulator) -> None:
    held = emu.hold_responses("chat.postMessage")
    host, port = emu.base_url.removeprefix("http://").split(":")
    raw = socket.create_connection((host, int(port)))
    body = b'{"channel": "C1", "text": "abandoned"}'
    raw.sendall(
        b"POST /api/chat.postMessage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {emu.bot_token}\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    held.wait()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()  # RST: the client is gone
    held.release()
    assert bare_client(emu).chat_postMessage(channel="C1", text="still here")["ok"]
    assert [m["text"] for m in emu.messages("C1")] == ["abandoned", "still here"]


CHILD = """
import sys
from slack_sdk import WebClient
client = WebClient(token=sys.argv[1], base_url=sys.argv[2], retry_handlers=[])
client.chat_postMessage(channel="C1", text="from a doomed process")
print("got a response", flush=True)
"""


def test_sigkill_while_slack_holds_the_response(emu: SlackEmulator) -> None:
    held = emu.hold_responses("chat.postMessage")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, emu.bot_token, emu.api_url],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        held.wait(timeout=30)
    finally:
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL and b"got a response" not in out
    held.release()
    assert [m["text"] for m in emu.messages("C1")] == ["from a doomed process"]
    assert bare_client(emu).auth_test()["ok"]


def test_rate_limit_every_nth_call_is_not_applied(emu: SlackEmulator) -> None:
    client = bare_client(emu)
    emu.rate_limit_every(3, retry_after=7)
    client.auth_test()
    client.chat_postMessage(channel="C1", text="one")
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="two")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert info.value.response["error"] == "ratelimited"
    assert [m["text"] for m in emu.messages("C1")] == ["one"]
    limited = emu.calls_to("chat.postMessage", include_errors=True)[-1]
    assert limited.fault == "ratelimited" and limited.status == 429

    emu.stop_rate_limiting()
    for text in ("a", "b", "c"):
        client.chat_postMessage(channel="C2", text=text)
    assert len(emu.messages("C2")) == 3


def test_rate_limit_only_some_methods(emu: SlackEmulator) -> None:
    client = bare_client(emu)
    emu.rate_limit_every(2, methods=["views.publish"])
    for _ in range(3):
        client.auth_test()
    home = {"type": "home", "blocks": [{"type": "divider"}]}
    client.views_publish(user_id="U1", view=home)
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U1", view=home)
    assert [c.status for c in emu.calls_to("views.publish", include_errors=True)] == [200, 429]


def test_per_channel_post_limit_still_applies(emu: SlackEmulator, clock: FakeClock) -> None:
    client = bare_client(emu)
    emu.rate_limit_every(100)
    for i in range(3):
        client.chat_postMessage(channel="C1", text=str(i))
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="burst")
    assert info.value.response.status_code == 429
    clock.advance(1.0)
    assert client.chat_postMessage(channel="C1", text="later")["ok"]


def test_clear_faults(emu: SlackEmulator) -> None:
    client = bare_client(emu)
    emu.drop_connection_after("auth.test", 3)
    emu.rate_limit_every(1)
    held = emu.hold_responses("chat.postMessage")
    emu.clear_faults()
    assert held.released
    assert client.auth_test()["ok"]
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
