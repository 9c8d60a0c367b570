"""Work that runs after Slack has its ack: opening modals, posting, redrawing.

Its own threads, never the ones that answer Slack, so a slow or rate-limited Slack cannot
delay an ack. It can be waited on until idle: the server drains it before it stops, the demo
and the tests wait for what a click set off.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

# Few: these threads share the interpreter (and its lock) with the threads that ack, so every
# busy one slows the acks of a burst; and Slack's per-method limits (tens of calls a minute per
# workspace) are reached long before four concurrent calls are.
AFTER_ACK_WORKERS = 4


class Background:
    def __init__(self, workers: int = AFTER_ACK_WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="after-ack")
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, work: Callable[[], None]) -> None:
        """Run `work` soon. It handles its own errors; anything that escapes is logged."""
        with self._idle:
            self._pending += 1

        # The request's log context (request id, workspace) follows its work onto the pool.
        context = contextvars.copy_context()

        def run() -> None:
            try:
                context.run(work)
            except Exception:
                log.exception("after-ack work failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        self._pool.submit(run)

    @property
    def pending(self) -> int:
        return self._pending

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued or running; False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
