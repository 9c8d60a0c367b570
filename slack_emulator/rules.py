"""Pure validation rules of the emulated Slack Web API.

Each rule returns Slack's error code (or a Rejection carrying Slack's explanatory messages) or
None, so the rules can be unit-tested without a server and reused by every endpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_emulator.block_rules import block_problems, view_problems

TEXT_MAX = 40000
MAX_VIEW_STACK = 3
RATE_WINDOW = 1.0
# Slack publishes no number for message metadata; the emulator draws the line at 8 KB of JSON
# so a bot stuffing whole documents into metadata finds out in tests (metadata_too_large).
METADATA_MAX_BYTES = 8192
# "Event types can contain letters, numbers, underscores, and hyphens" (message metadata docs).
EVENT_TYPE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Rejection:
    error: str
    messages: list[str] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": list(self.messages)}
        return body


def auth_error(token: str | None, accepted: Iterable[str]) -> str | None:
    if not token:
        return "not_authed"
    return None if token in set(accepted) else "invalid_auth"


def message_rejection(text: Any, blocks: Any, attachments: Any = None) -> Rejection | None:
    """chat.postMessage / chat.update / chat.postEphemeral / response_url content rules."""
    blocks = None if blocks == "" else blocks
    attachments = None if attachments == "" else attachments
    if isinstance(blocks, str):
        # A blocks string that survived argument parsing was not valid JSON.
        return Rejection("invalid_blocks_format")
    if isinstance(attachments, str):
        return Rejection("invalid_attachments")
    if not text and not blocks and not attachments:
        return Rejection("no_text")
    if isinstance(text, str) and len(text) > TEXT_MAX:
        return Rejection("msg_too_long")
    if blocks is not None:
        problems = block_problems(blocks, "message")
        if problems:
            return Rejection("invalid_blocks", problems)
    return None


@dataclass(frozen=True)
class MetadataCheck:
    metadata: dict[str, Any] | None = None
    error: str | None = None
    warning: str | None = None


def check_metadata(value: Any) -> MetadataCheck:
    """chat.postMessage / chat.update `metadata`: malformed JSON or a non-object payload is an
    error; an invalid event_type is only a warning and Slack drops the metadata."""
    if value is None or value == "":
        return MetadataCheck()
    if not isinstance(value, dict):
        # A string here was not valid JSON (or not a JSON object) after argument parsing.
        return MetadataCheck(error="invalid_metadata_format")
    if not isinstance(value.get("event_payload"), dict):
        return MetadataCheck(error="invalid_metadata_format")
    if len(json.dumps(value, separators=(",", ":")).encode()) > METADATA_MAX_BYTES:
        return MetadataCheck(error="metadata_too_large")
    event_type = value.get("event_type")
    if not isinstance(event_type, str) or not EVENT_TYPE.fullmatch(event_type):
        return MetadataCheck(warning="invalid_metadata_schema")
    return MetadataCheck({"event_type": event_type, "event_payload": value["event_payload"]})


def view_rejection(view: Any) -> Rejection | None:
    """Slack reports malformed views as invalid_arguments with per-field messages."""
    if isinstance(view, str):
        return Rejection(
            "invalid_arguments", ["[ERROR] must be a valid JSON object [json-pointer:/view]"]
        )
    if view is None:
        return Rejection("invalid_arguments", ["[ERROR] missing required field: view"])
    problems = view_problems(view)
    return Rejection("invalid_arguments", problems) if problems else None


def trigger_error(issued_at: float | None, used: bool, now: float, ttl: float) -> str | None:
    """Triggers are single use and expire; unknown ones are simply invalid."""
    if issued_at is None or used:
        return "invalid_trigger_id"
    if now - issued_at > ttl:
        return "expired_trigger_id"
    return None


def hash_error(given: str | None, current: str | None) -> str | None:
    """A hash guards against racing updates; omitting it means "overwrite whatever is there"."""
    if given and given != current:
        return "hash_conflict"
    return None


def push_error(stack_size: int) -> str | None:
    return "push_limit_reached" if stack_size >= MAX_VIEW_STACK else None


def rate_limited(recent: Iterable[float], now: float, burst: int) -> bool:
    """True when `burst` posts already happened in the sliding window ending at `now`."""
    in_window = [t for t in recent if now - t < RATE_WINDOW]
    return len(in_window) >= burst


def parse_json_field(value: Any) -> Any:
    """Form-encoded requests carry blocks/view/etc. as JSON strings; leave garbage as-is so the
    content rules can report it with the right error code."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
