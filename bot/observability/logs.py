"""Logging for the bot: quiet by default, text or JSON lines, request context, no secrets.

`configure_logging` installs one handler on the root logger. Libraries (Alembic, Bolt,
slack_sdk, waitress, APScheduler) speak at WARNING and above unless asked (`-v` INFO, `-vv`
DEBUG); the bot's own packages keep their INFO lines, which are what a command has to say.

`log_context(request_id=…, team_id=…, postmortem_id=…)` stamps every line logged inside it
(and in the work handed to bot/slack/background.py, which copies the context). The
handler's `RedactingFilter` rewrites every record before it is formatted, so a token or a
configured secret never reaches a line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

CONTEXT_FIELDS = ("request_id", "team_id", "postmortem_id")
OWN_PACKAGES = ("bot", "flows", "storage")
FORMATS = ("text", "json")
REDACTED = "[REDACTED]"
# Secrets shorter than this are not searched for: redacting "abc" would shred every line and
# a secret that short protects nothing anyway.
MIN_SECRET_LENGTH = 4

# Never mutated: each `log_context` block sets a new mapping, so copies shared with other
# threads (bot/slack/background.py) cannot change under them.
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "postmortem_log_context", default=MappingProxyType({})
)


# --- context ------------------------------------------------------------------------------


@contextmanager
def log_context(**fields: Any) -> Iterator[Mapping[str, Any]]:
    """Add `fields` (request_id, team_id, postmortem_id) to every line logged inside the block.

    Nested blocks add to the outer one; None values are left out. Restored on exit.
    """
    unknown = set(fields) - set(CONTEXT_FIELDS)
    if unknown:
        raise TypeError(f"log_context() takes {', '.join(CONTEXT_FIELDS)}; not {sorted(unknown)}")
    merged = MappingProxyType(
        {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    )
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)


def current_log_context() -> dict[str, Any]:
    """The fields set by the enclosing `log_context` blocks (a copy)."""
    return dict(_context.get())


# --- redaction ----------------------------------------------------------------------------

# Token shapes, whether or not this process knows the value: Slack bot/user/app/refresh tokens,
# GitHub tokens, and the credential part of Authorization headers and of URLs.
_PATTERNS = (
    re.compile(r"\bxox[abposer]-[A-Za-z0-9-]+"),
    re.compile(r"\bxoxe\.xox[bp]-[A-Za-z0-9-]+"),
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
)
_AUTH_HEADER = re.compile(
    r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:(bearer|basic|token)\s+)?[^\s\"',}]+"
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@/\s]+(@)", re.IGNORECASE)


class SecretRegistry:
    """The secret values this process holds (tokens, signing and webhook secrets)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()

    def add(self, values: Iterable[str | None]) -> None:
        with self._lock:
            known = set(self._values)
            known.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)
            # Longest first, so a secret containing another is replaced whole.
            self._values = tuple(sorted(known, key=len, reverse=True))

    def clear(self) -> None:
        with self._lock:
            self._values = ()

    @property
    def values(self) -> tuple[str, ...]:
        return self._values


SECRETS = SecretRegistry()


def register_secrets(values: Iterable[str | None]) -> None:
    """Never log these values (adds to what is already registered, process-wide)."""
    SECRETS.add(values)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every registered secret and every token-shaped string replaced."""
    for value in SECRETS.values if secrets is None else secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{_scheme(m.group(2))}{REDACTED}", text)
    return _URL_PASSWORD.sub(rf"\g<1>{REDACTED}\g<2>", text)


def _scheme(name: str | None) -> str:
    return f"{name} " if name else ""


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, exception and stack text with secrets replaced.

    A handler filter, so it sees records from every logger, including libraries'.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: keep what we can, never raise from logging
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, redact(value))
        record._redacted = True
        return True


class ContextFilter(logging.Filter):
    """Copies the current `log_context` fields onto the record (explicit `extra=` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


# --- formats ------------------------------------------------------------------------------


class TextFormatter(logging.Formatter):
    """`2026-11-22 09:00:00,123 INFO bot.cli: message [request_id=… team_id=…]`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _fields(record)
        if not fields:
            return line
        suffix = " ".join(f"{k}={v}" for k, v in fields.items())
        head, sep, tail = line.partition("\n")
        return f"{head} [{suffix}]{sep}{tail}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    values = ((name, getattr(record, name, None)) for name in CONTEXT_FIELDS)
    return {name: value for name, value in values if value is not None}


# --- setup --------------------------------------------------------------------------------


@dataclass
class LoggingSetup:
    """What `configure_logging` changed, so `restore()` can put it back (tests, `main()`)."""

    handler: logging.Handler
    levels: dict[str, int] = field(default_factory=dict)

    def restore(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        self.handler.close()
        for name, level in self.levels.items():
            (logging.getLogger(name) if name else root).setLevel(level)


def levels_for(verbosity: int = 0, level: str | int | None = None) -> tuple[int, int]:
    """(root level, own packages' level) for `-v` counts or an explicit `--log-level`."""
    if level is not None:
        explicit = level if isinstance(level, int) else logging.getLevelName(level.upper())
        if not isinstance(explicit, int):
            raise ValueError(f"unknown log level {level!r}")
        return explicit, explicit
    if verbosity >= 2:
        return logging.DEBUG, logging.DEBUG
    if verbosity == 1:
        return logging.INFO, logging.INFO
    return logging.WARNING, logging.INFO


def configure_logging(
    verbosity: int = 0,
    *,
    level: str | int | None = None,
    fmt: str = "text",
    stream: TextIO | None = None,
    secrets: Iterable[str | None] = (),
) -> LoggingSetup:
    """Send log lines to `stream` (stderr) in `fmt` ("text" or "json"), secrets redacted.

    Replaces a handler installed by an earlier call; leaves other handlers (pytest's) alone.
    """
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    register_secrets(secrets)
    root_level, own_level = levels_for(verbosity, level)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_postmortem_bot", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler._postmortem_bot = True  # type: ignore[attr-defined]
    # Order matters: context first (its values get redacted too), then redaction.
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setup = LoggingSetup(handler, {"": root.level})
    root.addHandler(handler)
    root.setLevel(root_level)
    for name in OWN_PACKAGES:
        logger = logging.getLogger(name)
        setup.levels[name] = logger.level
        logger.setLevel(own_level)
    return setup
