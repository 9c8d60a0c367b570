"""The production HTTP server (waitress: a multi-threaded WSGI server, pure Python)."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server

from bot.http.wsgi import WsgiApp


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
        self._stopping = threading.Event()
        self._closed = False

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = self._server.effective_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve on this thread until `stop_soon()` (e.g. from a SIGTERM handler) or `stop()`;
        then finish the requests in flight and close."""
        self._poll()
        self._close()

    def start(self) -> HttpServer:
        """Serve on a background thread until `stop()` (tests, the demo)."""
        self._thread = threading.Thread(target=self._poll, daemon=True, name="http")
        self._thread.start()
        return self

    def _poll(self) -> None:
        # Our own loop instead of waitress's run(): it can be told to stop between polls, so
        # sockets are never closed under a running select() (EBADF at teardown), and a signal
        # handler only has to set an event.
        while not self._stopping.is_set():
            self._server.asyncore.loop(timeout=0.05, map=self._server._map, use_poll=True, count=1)

    def stop_soon(self) -> None:
        """Ask the serving loop to stop within a poll (safe to call from a signal handler)."""
        self._stopping.set()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Waits for the requests being handled (waitress gives them a few seconds).
        self._server.task_dispatcher.shutdown()
        for channel in list(self._server._map.values()):
            channel.close()
