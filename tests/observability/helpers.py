"""Reading what an operator reads: /metrics samples, HTTP answers with headers, JSON log lines."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.observability.logs import configure_logging

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(url: str, method: str = "GET", headers: dict[str, str] | None = None,
         body: bytes | None = None) -> Answer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, dict(err.headers), err.read())


def scrape(base_url: str) -> Samples:
    answer = http(f"{base_url}/metrics")
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.body.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a series not exposed yet (counters start when first used)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@dataclass
class CapturedLogs:
    stream: io.StringIO

    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines()]


@contextmanager
def captured_logs(verbosity: int = 0, secrets: set[str] | None = None) -> Iterator[CapturedLogs]:
    """The bot's log handler, JSON format, writing to a buffer the test can read."""
    stream = io.StringIO()
    setup = configure_logging(verbosity, fmt="json", stream=stream, secrets=secrets or ())
    try:
        yield CapturedLogs(stream)
    finally:
        setup.restore()
