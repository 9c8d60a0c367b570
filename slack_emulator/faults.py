"""Fault injection for delivery tests: drop the connection after applying a call, hold its
response back, or rate limit every n-th call.

Dropped and held calls are applied and recorded first - Slack "accepted" them - which is
exactly the situation a client cannot tell apart from a call that never arrived.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from slack_emulator.state import Call


class HeldResponses:
    """Responses to `method` held back until `release()`; usable as a context manager that
    releases on exit. Releasing after the client went away is harmless."""

    def __init__(self, faults: Faults, method: str, after: int = 0) -> None:
        self._faults = faults
        self.method = method
        self.after = after  # calls answered before holding starts
        self.answered = 0
        self._released = threading.Event()
        self._calls: list[Call] = []

    @property
    def calls(self) -> list[Call]:
        with self._faults.lock:
            return list(self._calls)

    @property
    def released(self) -> bool:
        return self._released.is_set()

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls are being held (wall-clock timeout)."""
        with self._faults.changed:
            ok = self._faults.changed.wait_for(lambda: len(self._calls) >= count, timeout)
            if not ok:
                raise AssertionError(
                    f"expected {count} held {self.method} call(s), got {len(self._calls)}"
                )
            return list(self._calls)

    def release(self) -> None:
        with self._faults.lock:
            if self._faults.holds.get(self.method) is self:
                del self._faults.holds[self.method]
        self._released.set()

    def _hold(self, call: Call) -> threading.Event:
        self._calls.append(call)
        self._faults.changed.notify_all()
        return self._released

    def __enter__(self) -> HeldResponses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


@dataclass
class RateFault:
    every: int
    retry_after: int
    methods: frozenset[str] | None
    seen: int = 0


@dataclass(frozen=True)
class Delivery:
    """What the HTTP layer does with a response once the call has been applied."""

    kind: Literal["send", "drop", "hold"] = "send"
    released: threading.Event | None = None


SEND = Delivery()


class Faults:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.changed = threading.Condition(lock)
        self.drops: dict[str, int] = {}
        self.holds: dict[str, HeldResponses] = {}
        self.rate: RateFault | None = None

    # ---- arming (from tests) -----------------------------------------------------------
    def drop(self, method: str, count: int) -> None:
        with self.lock:
            if count > 0:
                self.drops[method] = count
            else:
                self.drops.pop(method, None)

    def stop_dropping(self, method: str | None = None) -> None:
        with self.lock:
            if method is None:
                self.drops.clear()
            else:
                self.drops.pop(method, None)

    def hold(self, method: str, after: int = 0) -> HeldResponses:
        with self.lock:
            previous = self.holds.get(method)
            if previous is not None:
                return previous
            held = HeldResponses(self, method, after)
            self.holds[method] = held
            return held

    def release(self, method: str | None = None) -> None:
        with self.lock:
            holds = [h for m, h in self.holds.items() if method is None or m == method]
        for held in holds:
            held.release()

    def rate_limit_every(
        self, n: int, retry_after: int, methods: Iterable[str] | str | None
    ) -> None:
        if isinstance(methods, str):
            methods = [methods]
        with self.lock:
            self.rate = (
                RateFault(n, retry_after, frozenset(methods) if methods else None)
                if n > 0
                else None
            )

    def clear(self) -> None:
        with self.lock:
            self.drops.clear()
            self.rate = None
        self.release()

    # ---- consulted by the server, under the state lock ---------------------------------
    def rate_limited(self, method: str) -> int | None:
        """Retry-After seconds when this call is the n-th one and must answer 429."""
        rate = self.rate
        if rate is None or (rate.methods is not None and method not in rate.methods):
            return None
        rate.seen += 1
        return rate.retry_after if rate.seen % rate.every == 0 else None

    def delivery(self, call: Call) -> Delivery:
        remaining = self.drops.get(call.method, 0)
        if remaining > 0:
            if remaining == 1:
                del self.drops[call.method]
            else:
                self.drops[call.method] = remaining - 1
            call.fault = "dropped"
            call.notes.append("connection closed without a response (injected fault)")
            return Delivery("drop")
        held = self.holds.get(call.method)
        if held is not None and held.answered < held.after:
            held.answered += 1
            return SEND
        if held is not None:
            call.fault = "held"
            call.notes.append("response held back (injected fault)")
            return Delivery("hold", held._hold(call))
        return SEND


class FaultControls:
    """SlackEmulator's fault-injection API."""

    _state: Any

    def drop_connection_after(self, method: str, count: int = 1) -> None:
        """The next `count` calls to `method` are applied and recorded, then the connection
        is closed without any HTTP response. count=0 disarms."""
        self._state.faults.drop(method, count)

    def stop_dropping(self, method: str | None = None) -> None:
        self._state.faults.stop_dropping(method)

    def hold_responses(self, method: str, after: int = 0) -> HeldResponses:
        """Every call to `method` (after the first `after`, answered as usual) is applied and
        recorded but its response waits until `release()` (on the returned handle, on the
        emulator, or leaving its `with`)."""
        return self._state.faults.hold(method, after)  # type: ignore[no-any-return]

    def release(self, method: str | None = None) -> None:
        """Send every held response (of `method`, or all) and stop holding."""
        self._state.faults.release(method)

    def rate_limit_every(
        self, n: int, retry_after: int = 1, methods: Iterable[str] | str | None = None
    ) -> None:
        """Every n-th call (counting only `methods` when given) answers HTTP 429 with
        Retry-After and is not applied. n=0 disarms; per-channel post limits still apply."""
        self._state.faults.rate_limit_every(n, retry_after, methods)

    def stop_rate_limiting(self) -> None:
        self._state.faults.rate_limit_every(0, 1, None)

    def clear_faults(self) -> None:
        """Disarm every injected fault and release held responses."""
        self._state.faults.clear()
