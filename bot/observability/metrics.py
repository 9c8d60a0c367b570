"""Prometheus metrics, served at `GET /metrics`.

Counters and histograms live in one process-wide registry (`REGISTRY`): every WSGI app, client
and listener of the process adds to them. Gauges of database state (post-mortems by status,
reminders by status) are not kept in memory: `DatabaseCollector` counts them with two GROUP BY
queries when Prometheus scrapes, so every replica reports the same truth and a restart loses
nothing.

Label values are bounded by the code (routes, listener names, Slack method names, Slack error
codes), never taken raw from a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, Select, func, select

from storage.tables import Postmortem, Reminder

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Slack gives up on an ack after 3 s; the buckets resolve the range around that deadline.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
# Every status the code writes, so a dashboard sees 0 rather than a missing series.
POSTMORTEM_STATUSES = ("draft", "in_review", "published", "closed")
REMINDER_STATUSES = ("pending", "claimed", "sent", "failed", "cancelled")

REGISTRY = CollectorRegistry()
for _default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    # The standard process_* / python_* series, in our registry rather than the global one.
    REGISTRY.register(_default)

HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by route, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    registry=REGISTRY,
)
SLACK_CALLS = Counter(
    "slack_api_calls",
    "Slack Web API calls made, by method (retries inside one call count once).",
    ["method"],
    registry=REGISTRY,
)
SLACK_ERRORS = Counter(
    "slack_api_errors",
    "Slack Web API calls that failed, by method and Slack error code (or exception name).",
    ["method", "error"],
    registry=REGISTRY,
)
SLACK_ACK = Histogram(
    "slack_ack_seconds",
    "Time from receiving a Slack request to acknowledging it, by listener.",
    ["listener"],
    buckets=ACK_BUCKETS,
    registry=REGISTRY,
)


def observe_ack(listener: str, seconds: float) -> None:
    """Record that `listener` acknowledged a Slack request `seconds` after it arrived."""
    SLACK_ACK.labels(listener=listener).observe(seconds)


@contextmanager
def time_ack(listener: str) -> Iterator[None]:
    """Time the block as `listener`'s ack (recorded even when the block raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        observe_ack(listener, time.perf_counter() - started)


def count_http_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    HTTP_SECONDS.labels(route=route).observe(seconds)


def count_slack_call(method: str, error: str | None = None) -> None:
    """One Web API call to `method`; `error` is Slack's error code when it failed."""
    SLACK_CALLS.labels(method=method).inc()
    if error is not None:
        SLACK_ERRORS.labels(method=method, error=error).inc()


class DatabaseCollector(Collector):
    """Post-mortems and reminders by status, counted in the database at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterable[GaugeMetricFamily]:
        # Registering must not query the database; names are declared empty on purpose.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("database_up", "1 when the database answered the last scrape.")
        try:
            with self.engine.connect() as conn:
                postmortems = {s: n for s, n in conn.execute(_count_by_status(Postmortem))}
                reminders = {s: n for s, n in conn.execute(_count_by_status(Reminder))}
        except Exception as err:
            # Probes keep scraping while the database is down: one line at debug, not a flood.
            log.debug("metrics: database unavailable: %s", err)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _by_status(
            "postmortems", "Post-mortems by status.", POSTMORTEM_STATUSES, postmortems
        )
        yield _by_status(
            "reminders",
            "Reminders by status: pending (due later or now), claimed (being sent), sent, "
            "failed (gave up after retries), cancelled.",
            REMINDER_STATUSES,
            reminders,
        )


def _count_by_status(table: type[Postmortem] | type[Reminder]) -> Select[tuple[str, int]]:
    column = table.__table__.c.status  # type: ignore[attr-defined]
    return select(column, func.count()).group_by(column)


def _by_status(
    name: str, doc: str, known: Iterable[str], counts: dict[str, int]
) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, doc, labels=["status"])
    for status in sorted(set(known) | set(counts)):
        gauge.add_metric([status], counts.get(status, 0))
    return gauge


class _Forward(Collector):
    """Exposes another registry's metrics through this one."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        yield from self.source.collect()


def app_registry(engine: Engine) -> CollectorRegistry:
    """What one WSGI app serves: the process-wide metrics plus its database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Forward(REGISTRY))
    registry.register(DatabaseCollector(engine))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of `registry`."""
    return generate_latest(registry)
