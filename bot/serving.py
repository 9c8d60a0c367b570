"""What `postmortem-bot serve` runs: the HTTP server, and beside it, with SLACK_APP_TOKEN set,
a Socket Mode connection.

In Socket Mode Slack's requests arrive over the socket, but health checks, readiness,
/metrics and the incident tools' webhooks still arrive over HTTP: both run, in one process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.deps import Deps
from bot.http.server import HttpServer
from bot.http.webhooks import build_webhooks
from bot.http.wsgi import create_wsgi_app

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)


@dataclass
class Serving:
    http: HttpServer
    # When SLACK_APP_TOKEN is set.
    socket: SocketModeHandler | None = None

    def connect(self) -> None:
        """Open the Socket Mode connection (its own threads; returns at once)."""
        if self.socket is not None:
            self.socket.connect()
            log.info("Socket Mode connected (SLACK_APP_TOKEN is set)")

    def start(self) -> Serving:
        """Everything on background threads (tests, the demo)."""
        self.http.start()
        self.connect()
        return self

    def serve_forever(self) -> None:
        """HTTP on this thread until `http.stop_soon()`; the socket beside it."""
        self.connect()
        try:
            self.http.serve_forever()
        finally:
            self.close_socket()

    def close_socket(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def stop(self) -> None:
        self.close_socket()
        self.http.stop()


def build_serving(
    deps: Deps, app: App, *, host: str, port: int, threads: int = 8
) -> Serving:
    http = HttpServer(create_wsgi_app(deps, app, build_webhooks(deps, deps.slack())),
                      host=host, port=port, threads=threads)
    token = deps.settings.slack_app_token
    if not token:
        return Serving(http)
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    # The builtin client needs no extra dependency; apps.connections.open goes to
    # SLACK_API_URL through the app's own client.
    return Serving(http, SocketModeHandler(app, token, web_client=app.client))
