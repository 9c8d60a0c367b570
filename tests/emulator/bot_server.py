"""A tiny HTTP server standing in for the bot: records what Slack would send it and, given a
Bolt App, answers like the bot would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App, BoltRequest


class BotServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: App | None) -> None:
        super().__init__(("127.0.0.1", 0), BotHandler)
        self.app = app
        self.received: list[tuple[bytes, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class BotHandler(BaseHTTPRequestHandler):
    server: BotServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.received.append((body, headers))
        status, payload, content_type = 200, b"", "text/plain"
        if self.server.app is not None:
            response = self.server.app.dispatch(
                BoltRequest(body=body.decode(), headers={k: [v] for k, v in headers.items()})
            )
            status, payload = response.status, response.body.encode()
            content_type = response.headers.get("content-type", ["text/plain"])[0]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def serve(app: App | None) -> Iterator[BotServer]:
    server = BotServer(app)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
