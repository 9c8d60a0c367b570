"""Socket Mode: slack_sdk's builtin SocketModeClient connects to the emulator and acks."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from slack_emulator import SlackEmulator


class Bot:
    """A Socket Mode app: records requests, acks each, answers commands with a payload."""

    def __init__(self, emu: SlackEmulator) -> None:
        self.requests: list[SocketModeRequest] = []
        self.messages: list[dict[str, Any]] = []
        self.client = SocketModeClient(
            app_token=emu.app_token,
            web_client=WebClient(base_url=emu.api_url),
            auto_reconnect_enabled=False,
        )
        self.client.socket_mode_request_listeners.append(self._on_request)
        self.client.message_listeners.append(self._on_message)

    def _on_message(self, client: SocketModeClient, message: dict[str, Any], raw: str) -> None:
        self.messages.append(message)

    def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        payload = {"text": "On it"} if request.type == "slash_commands" else None
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )


@pytest.fixture
def bot(emu: SlackEmulator) -> Iterator[Bot]:
    bot = Bot(emu)
    bot.client.connect()
    emu.socket_mode.wait_for_connection()
    yield bot
    # The SDK's close() waits out its 3 s socket read timeout and its 1 s queue poll unless
    # the server closes first and the message queue is woken up.
    emu.socket_mode.close_all()
    bot.client.closed = True
    bot.client.message_queue.put(None)  # type: ignore[arg-type]
    bot.client.close()


def test_hello_then_events_are_acked(emu: SlackEmulator, bot: Bot) -> None:
    envelope_id = emu.socket_mode.push_event(
        {"type": "app_mention", "user": "U1", "text": "<@UBOT0001> start", "channel": "C1"}
    )
    ack = emu.socket_mode.wait_for_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id}
    [request] = bot.requests
    assert request.type == "events_api" and request.payload["type"] == "event_callback"
    assert request.payload["event"]["type"] == "app_mention"
    assert request.payload["authorizations"][0]["user_id"] == emu.bot_user_id
    hello = bot.messages[0]
    assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": emu.app_id}
    assert emu.calls_to("apps.connections.open")[0].ok


def test_slash_command_ack_carries_a_response_payload(emu: SlackEmulator, bot: Bot) -> None:
    envelope_id = emu.socket_mode.push_command("/postmortem", text="start DB outage")
    ack = emu.socket_mode.wait_for_ack(envelope_id)
    assert ack["payload"] == {"text": "On it"}
    request = next(r for r in bot.requests if r.envelope_id == envelope_id)
    assert request.accepts_response_payload
    assert request.payload["command"] == "/postmortem"
    assert request.payload["response_url"].startswith(f"{emu.base_url}/response/")


def test_interactive_envelope(emu: SlackEmulator, bot: Bot) -> None:
    payload = {"type": "block_actions", "actions": [{"action_id": "ack", "value": "1"}]}
    envelope_id = emu.socket_mode.push_interactive(payload)
    emu.socket_mode.wait_for_ack(envelope_id)
    [request] = bot.requests
    assert request.type == "interactive" and request.payload == payload
    assert [m.get("envelope_id") for m in emu.socket_mode.received] == [envelope_id]


def test_disconnect_warning_makes_the_client_reconnect(emu: SlackEmulator, bot: Bot) -> None:
    emu.socket_mode.send_disconnect()
    emu.socket_mode.wait_for_connection(count=2, ever=True)
    assert len(emu.calls_to("apps.connections.open")) == 2
    envelope_id = emu.socket_mode.push_event({"type": "app_home_opened", "user": "U1"})
    assert emu.socket_mode.wait_for_ack(envelope_id)["envelope_id"] == envelope_id


def test_urls_need_an_app_token_and_are_single_use(emu: SlackEmulator) -> None:
    client = WebClient(base_url=emu.api_url)
    with pytest.raises(SlackApiError) as info:
        client.apps_connections_open(app_token="xapp-1-nope")
    assert info.value.response["error"] == "invalid_auth"
    url = client.apps_connections_open(app_token=emu.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:")
    assert _handshake_status(url) == 101
    assert _handshake_status(url) == 401


def _handshake_status(url: str) -> int:
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    path = "/" + url.split("/", 3)[3]
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        status_line = sock.makefile("rb").readline().decode()
        return int(status_line.split(" ")[1])


def test_push_without_a_client_fails_loudly(emu: SlackEmulator) -> None:
    with pytest.raises(RuntimeError, match="no Socket Mode client"):
        emu.socket_mode.push("events_api", {})


def test_ping_pong_and_close_with_a_raw_client(emu: SlackEmulator) -> None:
    """Drive the endpoint with hand-made RFC 6455 frames: masked ping, text, close."""
    url = WebClient(base_url=emu.api_url).apps_connections_open(app_token=emu.app_token)["url"]
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    path = "/" + url.split("/", 3)[3]
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        reader = sock.makefile("rb")
        headers = []
        while (line := reader.readline()) not in (b"\r\n", b""):
            headers.append(line.decode().strip())
        assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in headers
        assert json.loads(_read(reader)[1])["type"] == "hello"
        sock.sendall(_masked(0x9, b"are you there"))
        assert _read(reader) == (0xA, b"are you there")
        sock.sendall(_masked(0x1, json.dumps({"envelope_id": "e1"}).encode()))
        assert emu.socket_mode.wait_for_ack("e1") == {"envelope_id": "e1"}
        sock.sendall(_masked(0x8, b"\x03\xe8"))
        assert _read(reader)[0] == 0x8


def _masked(opcode: int, payload: bytes) -> bytes:
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


def _read(reader: Any) -> tuple[int, bytes]:
    first, second = reader.read(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(reader.read(2), "big")
    return first & 0x0F, reader.read(length)
