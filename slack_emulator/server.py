"""SlackEmulator: a fake Slack Web API on loopback for tests and the offline demo.

This module holds the HTTP plumbing and request dispatch; the Python API tests use to set up
workspaces, inspect state and inject faults lives in the mixins it inherits.
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from slack_emulator.api import APP_METHODS, CLIENT_METHODS, METHODS, TOKEN_METHODS
from slack_emulator.api.files import download, receive_upload
from slack_emulator.api.oauth import authorize_page
from slack_emulator.api.users import auth_test
from slack_emulator.api.views import apply_response_action
from slack_emulator.faults import SEND, Delivery, FaultControls
from slack_emulator.inspection import Inspection
from slack_emulator.respond import handle_response
from slack_emulator.seeding import Seeding
from slack_emulator.socket_mode import SocketModeHub
from slack_emulator.state import Call, EmulatorState, Reply, fail
from slack_emulator.tokens import Token, authenticate
from slack_emulator.wire import bearer_token, multipart, parse_args


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # Request logs would drown test output; calls are recorded instead.
        return

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        emu = self.server.emulator
        if url.path.startswith("/link"):
            # Socket Mode: this thread becomes the WebSocket connection until it closes.
            self.close_connection = True
            emu._socket_mode.serve(self)
        elif url.path == "/oauth/v2/authorize":
            status, html, headers = emu._authorize(url.query)
            self._send(status, html.encode(), "text/html", headers)
        elif url.path.startswith("/files-pri/"):
            status, content, mimetype = emu._download(url.path, self.headers.get("Authorization"))
            self._send(status, content, mimetype)
        else:
            self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type") or ""
        emu = self.server.emulator
        parts = url.path.strip("/").split("/", 1)
        if len(parts) == 2 and parts[0] == "api":
            reply, delivery = emu._api(parts[1], url.query, content_type, body, self.headers)
            if delivery.kind == "drop":
                self._drop()
                return
            if delivery.released is not None:
                delivery.released.wait()
            payload = json.dumps(reply.body).encode()
            self._send(reply.status, payload, "application/json", reply.headers)
        elif len(parts) == 2 and parts[0] == "upload":
            if content_type.startswith("multipart/form-data"):
                body = multipart(content_type, body).get("file", b"")
            status, text = emu._upload(parts[1], body)
            self._send(status, text.encode(), "text/plain")
        elif len(parts) == 2 and parts[0] == "response":
            reply = emu._respond(parts[1], content_type, body)
            text = "ok" if reply.status == 200 and reply.body.get("ok") else reply.body["error"]
            self._send(reply.status, text.encode(), "text/html")
        else:
            self._send(404, b"Not Found", "text/plain")

    def _drop(self) -> None:
        """Close the TCP connection without a byte of HTTP response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            # The client went away (e.g. killed while its response was held): nothing to do.
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: SlackEmulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.emulator = emulator


class SlackEmulator(Seeding, Inspection, FaultControls):
    def __init__(
        self,
        post_burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
        trigger_ttl: float = 3.0,
        strict_channels: bool = False,
        *,
        team_id: str = "T0001",
        bot_user_id: str = "UBOT0001",
        bot_id: str = "BBOT0001",
        app_id: str = "A0001",
        team_name: str = "Emulator",
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._state = EmulatorState(clock, app_id, strict_channels, wall)
        self._state.post_burst = post_burst
        self._state.trigger_ttl = trigger_ttl
        default = self._state.add_team(team_id, team_name, bot_user_id, bot_id)
        self._install(default.team_id, "xoxb-emulator")
        app_token = f"xapp-1-{app_id}-1-emulator"
        self._state.app.app_token = app_token
        self._state.tokens[app_token] = Token(app_token, "app", None, None, "connections:write")
        self._socket_mode = SocketModeHub(self._state)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> SlackEmulator:
        if self._server is not None:
            return self
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self._state.base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="slack-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        # Held responses and open WebSockets would otherwise keep server threads alive.
        self._state.faults.clear()
        self._socket_mode.close_all(1001, "emulator stopping")
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- identity ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if not self._state.base_url:
            raise RuntimeError("SlackEmulator is not started")
        return self._state.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    @property
    def socket_mode(self) -> SocketModeHub:
        """Push Socket Mode envelopes to connected clients and read their acks."""
        return self._socket_mode

    @property
    def clock(self) -> Callable[[], float]:
        return self._state.clock

    # ---- recorded calls ----------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return list(self._state.calls)

    def calls_to(self, method: str, include_errors: bool = False) -> list[Call]:
        with self._state.lock:
            return [c for c in self._state.calls if c.method == method and (include_errors or c.ok)]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        # Wall-clock deadline on purpose: a fake emulator clock never advances by itself.
        deadline = time.monotonic() + timeout
        with self._state.changed:
            while True:
                found = [
                    c
                    for c in self._state.calls
                    if c.method == method and c.ok and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [
                        f"{c.method}({'ok' if c.ok else c.response.get('error')})"
                        for c in self._state.calls
                    ]
                    raise AssertionError(
                        f"expected {count} ok {method} call(s), got {len(found)}; recorded: {seen}"
                    )
                self._state.changed.wait(remaining)

    def reset(self) -> None:
        with self._state.lock:
            self._state.calls.clear()

    def apply_view_response(
        self, view_id: str, body: dict[str, Any], entered: dict[str, Any] | None = None
    ) -> Call:
        """Apply a view_submission ack body (response_action) as Slack would; recorded as a
        Call(method="response_action") so tests can assert on validation failures. `entered`:
        the submitted state, what the inputs still hold under an `errors` answer or an update
        that repeats them."""
        with self._state.lock:
            if entered is not None and view_id in self._state.views:
                self._state.views[view_id]["state"] = copy.deepcopy(entered)
            reply = apply_response_action(self._state, view_id, body)
            team_id = (self._state.views.get(view_id) or {}).get("team_id")
            return self._record("response_action", {"view_id": view_id, **body}, reply, team_id)

    # ---- request handling (called from server threads) ---------------------------------
    def _record(
        self,
        method: str,
        args: dict[str, Any],
        reply: Reply,
        team_id: str | None = None,
        fault: str | None = None,
    ) -> Call:
        st = self._state
        call = Call(
            method, args, reply.body, reply.status, st.clock(), list(reply.notes), team_id, fault
        )
        st.record(call)
        return call

    def _api(
        self, method: str, query: str, content_type: str, body: bytes, headers: Any
    ) -> tuple[Reply, Delivery]:
        args = parse_args(query, content_type, body)
        with self._state.lock:
            reply, team_id, fault = self._answer(method, args, headers.get("Authorization"))
            call = self._record(method, args, reply, team_id, fault)
            delivery = self._state.faults.delivery(call) if fault is None else SEND
            return reply, delivery

    def _answer(
        self, method: str, args: dict[str, Any], authorization: str | None
    ) -> tuple[Reply, str | None, str | None]:
        """(reply, team of the token, injected fault)."""
        st = self._state
        if method in CLIENT_METHODS:
            kind = "client"
        elif method in APP_METHODS:
            kind = "app"
        elif method in TOKEN_METHODS:
            kind = "token"
        elif method in METHODS:
            kind = "workspace"
        else:
            return fail("unknown_method", req_method=method), None, None
        if args.pop("__invalid_json__", False):
            return fail("invalid_json"), None, None
        if kind == "client":
            return CLIENT_METHODS[method](st, args, authorization), None, None
        token = authenticate(
            st.tokens,
            st.clock(),
            bearer_token(authorization, args),
            kind,  # type: ignore[arg-type]
        )
        if isinstance(token, str):
            return fail(token), None, None
        retry_after = st.faults.rate_limited(method)
        if retry_after is not None:
            limited = Reply(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
            return limited, token.team_id, "ratelimited"
        queued = st.failures.get(method)
        if queued:
            return queued.popleft(), token.team_id, None
        if kind == "app":
            return APP_METHODS[method](st, token, args), token.team_id, None
        ws = st.teams[str(token.team_id)]
        if kind == "token":
            return auth_test(ws, token), ws.team_id, None
        return METHODS[method](ws, args), ws.team_id, None

    def _upload(self, file_id: str, content: bytes) -> tuple[int, str]:
        with self._state.lock:
            status, text = receive_upload(self._state, file_id, content)
            reply = Reply({"ok": status == 200, "body": text}, status=status)
            pending = self._state.files.get(file_id)
            team_id = pending.team_id if pending else None
            self._record(
                "file_upload", {"file_id": file_id, "length": len(content)}, reply, team_id
            )
            return status, text

    def _respond(self, target_id: str, content_type: str, body: bytes) -> Reply:
        args = parse_args("", content_type, body)
        args.pop("__invalid_json__", None)
        if "payload" in args and isinstance(args["payload"], str):
            # Form-encoded responses wrap the JSON in a payload field.
            args = json.loads(args["payload"])
        with self._state.lock:
            reply = handle_response(self._state, target_id, args)
            target = self._state.response_targets.get(target_id)
            self._record("response_url", args, reply, target.team_id if target else None)
            return reply

    def _authorize(self, query: str) -> tuple[int, str, dict[str, str]]:
        with self._state.lock:
            return authorize_page(self._state, query)

    def _download(self, path: str, authorization: str | None) -> tuple[int, bytes, str]:
        with self._state.lock:
            token = authenticate(
                self._state.tokens,
                self._state.clock(),
                bearer_token(authorization, {}),
                "workspace",
            )
            if isinstance(token, str):
                return 403, b"Forbidden", "text/plain"
            return download(self._state, token.team_id, path.removeprefix("/files-pri/"))
