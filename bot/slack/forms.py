"""Reading what a user entered in a modal: one flat dict per view, keyed by block_id.

An input that adds something (the next why, new learnings, a link) starts empty again after
each add: Slack keeps what was typed in any input whose block_id and action_id an updated
view repeats, so the next why would open holding the last answer, one Save from a copy of it.
Such an input's block_id is renewed at each add (`fresh_id`); it is read, and its errors are
shown, under the id it is renewed from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from flows.errors import FieldErrors

TEXT_LIMIT = 3000
# Between a renewed input's block_id and the count of adds it was renewed at.
FRESH = "~"


def fresh_id(block_id: str, adds: int) -> str:
    """The block_id of an input that must come back empty after an add: a new one per add."""
    return f"{block_id}{FRESH}{adds}"


def base_id(block_id: str) -> str:
    return block_id.partition(FRESH)[0]


def view_values(view: dict[str, Any]) -> dict[str, Any]:
    """block_id -> the entered value (str, list, int timestamp…), None when left empty."""
    out: dict[str, Any] = {}
    for block_id, elements in view.get("state", {}).get("values", {}).items():
        for element in elements.values():
            out[base_id(block_id)] = _element_value(element)
    return out


def at_inputs(view: dict[str, Any], by_base: Mapping[str, Any]) -> dict[str, Any]:
    """`by_base` keyed by the view's own block ids: errors, so Slack shows each at its input;
    what the demo and the tests type into a view."""
    inputs = {base_id(b["block_id"]): b["block_id"] for b in view.get("blocks") or []
              if b.get("type") == "input" and b.get("block_id")}
    return {inputs.get(k, k): v for k, v in by_base.items()}


def _element_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        value = element.get("value")
        return value if value not in ("",) else None
    if kind in ("static_select", "external_select", "radio_buttons"):
        option = element.get("selected_option")
        return option["value"] if option else None
    if kind in ("multi_static_select", "checkboxes"):
        return [o["value"] for o in element.get("selected_options") or []]
    if kind in ("users_select",):
        return element.get("selected_user")
    if kind in ("multi_users_select",):
        return element.get("selected_users") or []
    if kind in ("conversations_select", "channels_select"):
        return element.get("selected_conversation") or element.get("selected_channel")
    if kind == "datetimepicker":
        return element.get("selected_date_time")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    return element.get("value")


def text(values: dict[str, Any], block_id: str, limit: int = TEXT_LIMIT) -> str:
    """Entered text, stripped. Over Slack's limit is refused at the field, never cut."""
    value = values.get(block_id)
    value = value.strip() if isinstance(value, str) else ""
    if len(value) > limit:
        raise FieldErrors({block_id: f"Keep this under {limit} characters (it has {len(value)})."})
    return value


def timestamp(values: dict[str, Any], block_id: str) -> datetime | None:
    """A datetimepicker value (Unix seconds) as aware UTC; anything else is a field error."""
    value = values.get(block_id)
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError) as err:
        raise FieldErrors({block_id: f"“{value}” is not a date and time."}) from err


def day(values: dict[str, Any], block_id: str) -> date | None:
    value = values.get(block_id)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as err:
        raise FieldErrors({block_id: f"“{value}” is not a date (YYYY-MM-DD)."}) from err


@contextmanager
def errors_at(blocks: Mapping[str, str]) -> Iterator[None]:
    """Field errors a flow raised by field name, re-keyed by the form's block ids so Slack
    shows each at its input."""
    try:
        yield
    except FieldErrors as err:
        raise FieldErrors({str(blocks.get(k, k)): v for k, v in err.errors.items()}) from err
