"""Socket Mode: apps.connections.open hands out single-use `ws://` URLs served by the emulator;
connected clients get Slack's `hello`, then whatever envelopes a test pushes, and their
`envelope_id` acks are recorded for the test to read."""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_emulator import payloads
from slack_emulator.respond import new_response_url
from slack_emulator.state import EmulatorState, Reply, ok
from slack_emulator.tokens import Token
from slack_emulator.websocket import WebSocket, accept_key

Args = dict[str, Any]


def connections_open(st: EmulatorState, token: Token, args: Args) -> Reply:
    """apps.connections.open (app-level token only): a fresh single-use WebSocket URL."""
    ticket = secrets.token_hex(16)
    st.socket_tickets.add(ticket)
    host = st.base_url.replace("http://", "ws://", 1)
    return ok(url=f"{host}/link/?ticket={ticket}&app_id={st.app_id}")


class SocketModeHub:
    def __init__(self, st: EmulatorState) -> None:
        self._st = st
        self._changed = threading.Condition()
        self._sockets: list[WebSocket] = []
        # Connections told to go away (send_disconnect): closed once a new one comes in.
        self._warned: list[WebSocket] = []
        self._acks: dict[str, Args] = {}
        self._received: list[Args] = []
        self._connected_total = 0

    # ---- the WebSocket endpoint (runs on a server thread) ------------------------------
    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        ticket = parse_qs(urlsplit(handler.path).query).get("ticket", [""])[0]
        with self._st.lock:
            valid = ticket in self._st.socket_tickets
            self._st.socket_tickets.discard(ticket)
        key = handler.headers.get("Sec-WebSocket-Key")
        upgrade = (handler.headers.get("Upgrade") or "").lower() == "websocket"
        if not valid or not key or not upgrade:
            body = b"invalid ticket" if not valid else b"not a websocket handshake"
            handler.send_response(401 if not valid else 400)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept_key(key))
        handler.end_headers()
        ws = WebSocket(handler.rfile, handler.wfile, handler.connection)
        with self._changed:
            self._sockets.append(ws)
            self._connected_total += 1
            count = len(self._sockets)
            warned, self._warned = self._warned, []
            self._changed.notify_all()
        ws.send_text(json.dumps(self._hello(count)))
        for old in warned:
            # The client has refreshed its connection; Slack now drops the old one.
            old.close(1000, "refreshed")
        try:
            ws.serve(self._on_text)
        finally:
            with self._changed:
                if ws in self._sockets:
                    self._sockets.remove(ws)
                self._changed.notify_all()

    def _hello(self, count: int) -> Args:
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-emulator",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self._st.app_id},
        }

    def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = {"raw": text}
        with self._changed:
            self._received.append(message)
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            if isinstance(envelope_id, str):
                self._acks[envelope_id] = message
            self._changed.notify_all()

    # ---- what tests see ----------------------------------------------------------------
    @property
    def connection_count(self) -> int:
        with self._changed:
            return len(self._sockets)

    @property
    def total_connections(self) -> int:
        """Connections ever accepted (reconnects included)."""
        with self._changed:
            return self._connected_total

    @property
    def received(self) -> list[Args]:
        """Every message clients sent, in order (acks are the only kind Slack expects)."""
        with self._changed:
            return copy.deepcopy(self._received)

    @property
    def acks(self) -> dict[str, Args]:
        with self._changed:
            return copy.deepcopy(self._acks)

    def wait_for_connection(
        self, count: int = 1, timeout: float = 5.0, *, ever: bool = False
    ) -> None:
        """Block until `count` connections are open (with ever=True: have been accepted
        since the emulator started, which is how a test sees a reconnect)."""

        def seen() -> int:
            return self._connected_total if ever else len(self._sockets)

        with self._changed:
            if not self._changed.wait_for(lambda: seen() >= count, timeout):
                raise AssertionError(f"expected {count} Socket Mode connection(s), got {seen()}")

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Args:
        """The client's ack for `envelope_id` (with its `payload`, if it sent one)."""
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id}")
            return copy.deepcopy(self._acks[envelope_id])

    # ---- pushing envelopes -------------------------------------------------------------
    def push(
        self,
        type: str,
        payload: Args,
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send an envelope to the newest connection; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope: Args = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._changed:
            targets = [s for s in reversed(self._sockets) if not s.closed]
        if not targets or not targets[0].send_text(json.dumps(envelope)):
            raise RuntimeError("no Socket Mode client is connected")
        return envelope_id

    def push_event(
        self, event: Args, team_id: str | None = None, event_id: str | None = None
    ) -> str:
        with self._st.lock:
            ws = self._st.team(team_id)
            now = time.time()
            body = payloads.event_callback(
                team_id=ws.team_id,
                app_id=self._st.app_id,
                bot_user_id=ws.bot_user_id,
                event={"event_ts": f"{now:.6f}", **event},
                event_id=event_id or f"Ev{secrets.token_hex(5).upper()}",
                event_time=int(now),
            )
        return self.push("events_api", body)

    def push_command(
        self,
        command: str,
        text: str = "",
        user_id: str = "U1",
        channel_id: str = "C1",
        team_id: str | None = None,
    ) -> str:
        with self._st.lock:
            ws = self._st.team(team_id)
            body = payloads.slash_command(
                team_id=ws.team_id,
                app_id=self._st.app_id,
                command=command,
                text=text,
                user_id=user_id,
                channel_id=channel_id,
                channel_name=None,
                user_name=None,
                response_url=new_response_url(self._st, channel_id, None, user_id, ws.team_id),
                trigger_id=self._st.new_trigger(None, ws.team_id),
            )
        return self.push("slash_commands", body, accepts_response_payload=True)

    def push_interactive(self, payload: Args) -> str:
        """block_actions, view_submission, shortcuts... (build them with payloads.*)."""
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return self.push("interactive", payload, accepts_response_payload=accepts)

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's warning that it is about to drop the connection; clients reconnect."""
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emulator"}}
        )
        with self._changed:
            sockets = list(self._sockets)
            self._warned.extend(sockets)
        for ws in sockets:
            ws.send_text(message)

    def close_all(self, code: int = 1000, reason: str = "") -> None:
        with self._changed:
            sockets = list(self._sockets)
        for ws in sockets:
            ws.close(code, reason)
