"""JSON from the outside world, bounded: finite numbers only, limited nesting, an object at
the top. Slack's requests and every webhook go through it."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # Block Kit and the incident tools nest a handful of levels; 32 is far beyond


class BadJson(ValueError):
    """Why the document was refused, in words fit for the sender."""


def loads_object(text: str, what: str = "") -> dict[str, Any]:
    """`what` names the document in the messages ("payload: malformed JSON")."""
    prefix = f"{what}: " if what else ""
    too_deep = f"{prefix}JSON nested deeper than {MAX_DEPTH} levels"
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except BadJson:
        raise
    except RecursionError as err:
        # The decoder's own guard, at the interpreter's recursion limit (a thousand levels):
        # it stops a deep document before the stack runs out, so the depth is checked after.
        raise BadJson(too_deep) from err
    except ValueError as err:
        raise BadJson(f"{prefix}malformed JSON") from err
    if not isinstance(data, dict):
        raise BadJson(f"{prefix}malformed JSON: expected an object")
    if not _within(data, MAX_DEPTH):
        raise BadJson(too_deep)
    return data


def _no_constant(name: str) -> Any:
    # json.loads takes NaN and Infinity by default; no sender has a reason to send them.
    raise BadJson(f"{name} is not a JSON number")


def _within(data: dict[str, Any], limit: int) -> bool:
    """Whether no container lies deeper than `limit` (the top one is level 1). Level by level
    over the decoded containers: a third of the time of walking the text's brackets, whose
    strings had to be cut out first, and no recursion."""
    level: list[Any] = [data]
    depth = 1
    while level:
        if depth > limit:
            return False
        inner: list[Any] = []
        for container in level:
            values = container.values() if type(container) is dict else container
            inner += [v for v in values if type(v) is dict or type(v) is list]
        level = inner
        depth += 1
    return True
