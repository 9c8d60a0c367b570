"""Work that runs after Slack has its ack: opening modals, posting, redrawing.

Its own threads, never the ones that answer Slack, so a slow or rate-limited Slack cannot
delay an ack. It can be waited on until idle: the server drains it before it stops, the demo
and the tests wait for what a click set off.

Acks come first. These threads share the interpreter (and its lock) with the threads that
answer Slack, and Slack gives an answer 3 seconds where most work after an ack has longer: so
queued work is held back while Slack's requests keep arriving, and handed to the workers once
none has been answered for `QUIET_GAP`, or when it has waited as long as it may — whichever
comes first, the most pressing first. In a burst the acks go out, then the work follows.
A quiet moment hands over only as much as the workers can start at once, the rest once one
is free and it is still quiet: a pause in the middle of a burst (the sender's own hiccup)
used to hand the whole backlog to the workers, who then took the interpreter from the rest
of the burst's acks.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
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
# How long work may be held back for acks by default, from when it was queued: a modal opened
# with the click's trigger_id must be open within 3 s of the click.
YIELD_AT_MOST = 1.0
# Quiet means no Slack request answered for this long. Inside the app a request is answered in
# about a millisecond, but the server reads and writes around it: "none being answered this
# instant" is true between most requests of a burst.
QUIET_GAP = 0.02


class Background:
    def __init__(self, workers: int = AFTER_ACK_WORKERS, *,
                 yield_at_most: float = YIELD_AT_MOST) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="after-ack")
        self._workers = workers
        # Handed to the pool and not finished yet.
        self._running = 0
        self._yield_at_most = yield_at_most
        self._pending = 0
        self._idle = threading.Condition()
        # Work held back, by the time it must start at the latest.
        self._held: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._answering = 0
        self._last_answered = 0.0
        self._closed = False
        self._changed = threading.Condition()
        # Started with the first work, as the pool's threads are: most Deps never submit any.
        self._releaser: threading.Thread | None = None

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around answering a Slack request: work after the ack is held back while any is."""
        with self._changed:
            self._answering += 1
        try:
            yield
        finally:
            with self._changed:
                self._answering -= 1
                self._last_answered = time.monotonic()
                # The releaser only needs to hear of the moments none is being answered, and
                # only with work held: woken at every answer, it took 7 % of a burst's CPU.
                if self._answering == 0 and self._held:
                    self._changed.notify()

    def submit(self, work: Callable[[], None], *, yield_at_most: float | None = None) -> None:
        """Run `work` soon. It handles its own errors; anything that escapes is logged.
        `yield_at_most` overrides how long it may be held back for acks."""
        with self._idle:
            self._pending += 1
        start_by = time.monotonic() + (self._yield_at_most if yield_at_most is None
                                       else yield_at_most)

        # The request's log context (request id, workspace) follows its work onto the pool.
        context = contextvars.copy_context()

        def run() -> None:
            try:
                context.run(work)
            except Exception:
                log.exception("after-ack work failed")
            finally:
                with self._changed:
                    self._running -= 1
                    if self._held:  # a worker is free for the next one
                        self._changed.notify()
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        with self._changed:
            if self._closed:  # shutting down: nothing is held back any more
                self._running += 1
                self._pool.submit(run)
                return
            heapq.heappush(self._held, (start_by, next(self._order), run))
            self._changed.notify()
            if self._releaser is None:
                self._releaser = threading.Thread(target=self._release_loop, daemon=True,
                                                  name="after-ack-release")
                self._releaser.start()

    def _release_loop(self) -> None:
        while True:
            with self._changed:
                ready = self._wait_for_ready()
            if ready is None:
                return
            for run in ready:
                self._pool.submit(run)

    def _wait_for_ready(self) -> list[Callable[[], None]] | None:
        """Called holding `_changed`: the held work that may start now, most pressing first
        (counted as running); None once closed with nothing held."""
        while True:
            if self._closed:
                if not self._held:
                    return None
                ready = [heapq.heappop(self._held)[2] for _ in range(len(self._held))]
                self._running += len(ready)
                return ready
            now = time.monotonic()
            ready = []
            while self._held and self._held[0][0] <= now:  # waited as long as it may
                ready.append(heapq.heappop(self._held)[2])
            quiet_at = self._last_answered + QUIET_GAP
            quiet = self._answering == 0 and now >= quiet_at
            free = self._workers - self._running - len(ready)
            if quiet:
                while self._held and free > 0:
                    ready.append(heapq.heappop(self._held)[2])
                    free -= 1
            if ready:
                self._running += len(ready)
                return ready
            wake = [self._held[0][0]] if self._held else []
            # Quiet soon, and a worker to give it to: look again then. Otherwise a finished
            # worker or an answered request wakes this up.
            if self._held and self._answering == 0 and free > 0 and not quiet:
                wake.append(quiet_at)
            self._changed.wait(max(min(wake) - now, 0.001) if wake else None)

    @property
    def pending(self) -> int:
        return self._pending

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued or running; False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def shutdown(self, wait: bool = True) -> None:
        """Held work is released at once; with `wait`, finished before this returns."""
        with self._changed:
            self._closed = True
            self._changed.notify()
            releaser = self._releaser
        if releaser is not None:
            releaser.join(timeout=5)
        self._pool.shutdown(wait=wait)
