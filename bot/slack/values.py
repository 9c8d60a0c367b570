"""Ids in button values and commands, read strictly: a value is text anyone could have sent,
and an id too large for the database is no id at all."""

from __future__ import annotations

from flows.errors import PostmortemError

MAX_ID = 2**63 - 1  # the largest integer both SQLite and PostgreSQL store


def as_id(text: object) -> int | None:
    """A positive id written in ASCII digits, or None."""
    value = str(text or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def require_id(text: object, what: str) -> int:
    found = as_id(text)
    if found is None:
        raise PostmortemError(f"I could not tell which {what} this is for.")
    return found
