"""Work that runs after Slack has its ack: opening modals, posting, redrawing.

Its own threads, never the ones that answer Slack, so a slow or rate-limited Slack cannot
delay an ack. It can be waited on until idle: the server drains it before it stops, the demo
and the tests wait for what a click set off.

Acks come first. These threads share the interpreter (and its lock) with the threads that
answer Slack, and Slack gives an answer 3 seconds where most work after an ack has minutes:
so a piece of work waits while a Slack request is being answered, and starts once none is,
or once it has waited `YIELD_AT_MOST`, whichever comes first. In a burst the acks go out
first and the work follows; a modal still opens well within its trigger's 3 seconds.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

log = logging.getLogger(__name__)

# Few: every busy one slows the acks of a burst; and Slack's per-method limits (tens of calls
# a minute per workspace) are reached long before four concurrent calls are.
AFTER_ACK_WORKERS = 4
# The longest a piece of work yields to acks, counted from when it was submitted: a modal
# opened with the click's trigger_id must be open within 3 s of the click.
YIELD_AT_MOST = 1.0
# Quiet means no Slack request answered for this long: inside the app a request is answered in
# a fraction of a millisecond, but the server reads and writes around it, so "none being
# answered this instant" is true between most requests of a burst.
QUIET_GAP = 0.02


class Background:
    def __init__(self, workers: int = AFTER_ACK_WORKERS, *,
                 yield_at_most: float = YIELD_AT_MOST) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="after-ack")
        self._pending = 0
        self._idle = threading.Condition()
        self._answering = 0
        self._last_answered = 0.0
        self._quiet = threading.Condition()
        self._yield_at_most = yield_at_most

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around answering a Slack request: work after the ack waits while any is."""
        with self._quiet:
            self._answering += 1
        try:
            yield
        finally:
            with self._quiet:
                self._answering -= 1
                self._last_answered = time.monotonic()

    def submit(self, work: Callable[[], None]) -> None:
        """Run `work` soon. It handles its own errors; anything that escapes is logged."""
        with self._idle:
            self._pending += 1
        submitted = time.monotonic()

        # The request's log context (request id, workspace) follows its work onto the pool.
        context = contextvars.copy_context()

        def run() -> None:
            try:
                self._yield_to_acks(until=submitted + self._yield_at_most)
                context.run(work)
            except Exception:
                log.exception("after-ack work failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        self._pool.submit(run)

    def _yield_to_acks(self, until: float) -> None:
        with self._quiet:
            while True:
                now = time.monotonic()
                if now >= until:
                    return
                quiet_at = self._last_answered + QUIET_GAP
                if not self._answering and now >= quiet_at:
                    return
                self._quiet.wait(min(until, max(quiet_at, now + 0.001)) - now)

    @property
    def pending(self) -> int:
        return self._pending

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued or running; False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
