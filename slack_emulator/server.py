"""SlackEmulator: a fake Slack Web API on loopback for tests and the offline demo."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from slack_emulator.api import METHODS
from slack_emulator.api.files import receive_upload
from slack_emulator.api.views import apply_response_action
from slack_emulator.respond import handle_response, new_response_url
from slack_emulator.rules import auth_error
from slack_emulator.state import Call, EmulatorState, Reply, fail, user_record
from slack_emulator.wire import bearer_token, multipart, parse_args


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # Request logs would drown test output; calls are recorded instead.
        return

    def do_GET(self) -> None:
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
            reply = emu._api(parts[1], url.query, content_type, body, self.headers)
            self._send(
                reply.status, json.dumps(reply.body).encode(), "application/json", reply.headers
            )
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

    def _send(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: SlackEmulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.emulator = emulator


class SlackEmulator:
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
    ) -> None:
        self.bot_token = "xoxb-emulator"
        self._state = EmulatorState(clock, team_id, bot_user_id, bot_id, app_id, strict_channels)
        self._state.post_burst = post_burst
        self._state.trigger_ttl = trigger_ttl
        self._state.users[bot_user_id] = user_record(
            team_id, bot_user_id, "postmortem-bot", "UTC", 0, True, None, "Postmortem Bot"
        )
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
    def team_id(self) -> str:
        return self._state.team_id

    @property
    def bot_user_id(self) -> str:
        return self._state.bot_user_id

    @property
    def bot_id(self) -> str:
        return self._state.bot_id

    @property
    def app_id(self) -> str:
        return self._state.app_id

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

    # ---- workspace setup ---------------------------------------------------------------
    def new_trigger_id(self, view_id: str | None = None) -> str:
        with self._state.lock:
            return self._state.new_trigger(view_id)

    def new_response_url(
        self,
        channel_id: str | None = None,
        message_ts: str | None = None,
        user_id: str | None = None,
    ) -> str:
        with self._state.lock:
            return new_response_url(self._state, channel_id, message_ts, user_id)

    def add_user(
        self,
        user_id: str,
        name: str,
        tz: str = "UTC",
        tz_offset: int | None = None,
        is_bot: bool = False,
        email: str | None = None,
        real_name: str | None = None,
    ) -> dict[str, Any]:
        record = user_record(
            self._state.team_id, user_id, name, tz, tz_offset, is_bot, email, real_name
        )
        with self._state.lock:
            self._state.users[user_id] = record
        return copy.deepcopy(record)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: list[str] | None = None,
        bot_is_member: bool = True,
    ) -> None:
        with self._state.lock:
            self._state.add_channel(channel_id, name, members or [], bot_is_member)

    def post_as_user(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        at: float | None = None,
    ) -> str:
        """A human's message; `at` (Unix seconds) back-dates it, as history would be."""
        with self._state.lock:
            target = self._state.resolve_channel(channel, ids_only=False)
            if target is None:
                raise KeyError(f"unknown channel {channel!r}")
            message: dict[str, Any] = {"user": user, "text": text, "team": self.team_id}
            if at is not None:
                message["ts"] = f"{at:.6f}"
            if thread_ts:
                message["thread_ts"] = thread_ts
            return str(self._state.add_message(target, message)["ts"])

    def fail_next(
        self, method: str, error: str, status: int = 200, retry_after: int | None = None
    ) -> None:
        headers: dict[str, str] = {}
        if status == 429 or retry_after is not None:
            headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
        with self._state.lock:
            self._state.failures.setdefault(method, deque()).append(
                Reply({"ok": False, "error": error}, status=status, headers=headers)
            )

    # ---- inspection --------------------------------------------------------------------
    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self._state.lock:
            target = self._state.resolve_channel(channel, ids_only=False)
            if target is None:
                return []
            return sorted(copy.deepcopy(target.messages), key=lambda m: float(m["ts"]))

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if ts in (m["ts"], m.get("thread_ts"))]

    def im_channel(self, user_id: str) -> str:
        with self._state.lock:
            return self._state.im_for(user_id).id

    @property
    def ephemeral_messages(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return copy.deepcopy(self._state.ephemeral)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        with self._state.lock:
            return copy.deepcopy(self._state.views)

    def is_view_open(self, view_id: str) -> bool:
        with self._state.lock:
            return self._state.stack_of(view_id) is not None or (
                view_id in self._state.home_views.values()
            )

    def view_stack(self, view_id: str) -> list[str]:
        with self._state.lock:
            return list(self._state.stack_of(view_id) or [])

    def close_view(self, view_id: str) -> list[str]:
        with self._state.lock:
            return self._state.close_view(view_id)

    def apply_view_response(self, view_id: str, body: dict[str, Any]) -> Call:
        """Apply a view_submission ack body (response_action) as Slack would; recorded as a
        Call(method="response_action") so tests can assert on validation failures."""
        with self._state.lock:
            reply = apply_response_action(self._state, view_id, body)
            return self._record("response_action", {"view_id": view_id, **body}, reply)

    @property
    def uploaded_files(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return copy.deepcopy(self._state.uploaded_files)

    # ---- request handling (called from server threads) ---------------------------------
    def _record(self, method: str, args: dict[str, Any], reply: Reply) -> Call:
        call = Call(method, args, reply.body, reply.status, self._state.clock(), list(reply.notes))
        self._state.record(call)
        return call

    def _api(self, method: str, query: str, content_type: str, body: bytes, headers: Any) -> Reply:
        args = parse_args(query, content_type, body)
        with self._state.lock:
            reply = self._answer(method, args, headers.get("Authorization"))
            self._record(method, args, reply)
            return reply

    def _answer(self, method: str, args: dict[str, Any], authorization: str | None) -> Reply:
        handler = METHODS.get(method)
        if handler is None:
            return fail("unknown_method", req_method=method)
        if args.pop("__invalid_json__", False):
            return fail("invalid_json")
        error = auth_error(bearer_token(authorization, args), [self.bot_token])
        if error is not None:
            return fail(error)
        queued = self._state.failures.get(method)
        if queued:
            return queued.popleft()
        return handler(self._state, args)

    def _upload(self, file_id: str, content: bytes) -> tuple[int, str]:
        with self._state.lock:
            status, text = receive_upload(self._state, file_id, content)
            reply = Reply({"ok": status == 200, "body": text}, status=status)
            self._record("file_upload", {"file_id": file_id, "length": len(content)}, reply)
            return status, text

    def _respond(self, target_id: str, content_type: str, body: bytes) -> Reply:
        args = parse_args("", content_type, body)
        args.pop("__invalid_json__", None)
        if "payload" in args and isinstance(args["payload"], str):
            # Form-encoded responses wrap the JSON in a payload field.
            args = json.loads(args["payload"])
        with self._state.lock:
            reply = handle_response(self._state, target_id, args)
            self._record("response_url", args, reply)
            return reply
