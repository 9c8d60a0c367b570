"""The production HTTP server (waitress: a multi-threaded WSGI server, pure Python)."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server

from bot.web import WsgiApp


class HttpServer:
    """waitress bound to host:port (0 picks a free port); `serve_forever` or run in a thread."""

    def __init__(self, wsgi: WsgiApp, host: str = "0.0.0.0", port: int = 3000, threads: int = 8):
        self._server: Any = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            ident="postmortem-bot",
            # Slack retries after 3 s; anything slower than that is already lost.
            channel_timeout=30,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = self._server.effective_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run()

    def start(self) -> HttpServer:
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="http")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            self._server.close()
            return

        def close_all() -> None:
            # Runs inside the server's own loop: closing sockets from another thread races
            # with its select() call.
            for channel in list(self._server._map.values()):
                channel.close()

        self._server.trigger.pull_trigger(close_all)
        self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown()
