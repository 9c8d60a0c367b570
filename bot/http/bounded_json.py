"""JSON from the outside world, bounded: finite numbers only, limited nesting, an object at
the top. Slack's requests and every webhook go through it."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # Block Kit and the incident tools nest a handful of levels; 32 is far beyond
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class BadJson(ValueError):
    """Why the document was refused, in words fit for the sender."""


def loads_object(text: str, what: str = "") -> dict[str, Any]:
    """`what` names the document in the messages ("payload: malformed JSON")."""
    prefix = f"{what}: " if what else ""
    if not shallow(text, MAX_DEPTH):
        raise BadJson(f"{prefix}JSON nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except BadJson:
        raise
    except (ValueError, RecursionError) as err:
        raise BadJson(f"{prefix}malformed JSON") from err
    if not isinstance(data, dict):
        raise BadJson(f"{prefix}malformed JSON: expected an object")
    return data


def _no_constant(name: str) -> Any:
    # json.loads takes NaN and Infinity by default; no sender has a reason to send them.
    raise BadJson(f"{name} is not a JSON number")


def shallow(text: str, limit: int) -> bool:
    """Checked before json.loads, whose recursion a deep enough document would exhaust.
    Strings go first (a bracket inside one is text), then only the brackets are walked."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > limit:
                return False
        else:
            depth -= 1
    return True
