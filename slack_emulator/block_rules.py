"""Block Kit validation for messages and views.

slack_sdk's model validators run first (they track Slack's published limits), then our own walk
adds the checks slack_sdk skips: uniqueness of ids, nested element limits, surface rules. Messages
mimic Slack's `response_metadata.messages` format so failures read like production ones.
"""

from __future__ import annotations

from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[Surface, int] = {"message": 50, "modal": 100, "home": 100}
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
CONTEXT_TEXT_MAX = 3000
ID_MAX = 255
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
INPUT_LENGTH_MAX = 3000
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
PRIVATE_METADATA_MAX = 3000

_SELECT_TYPES = {"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"}


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def _too_long(limit: int, pointer: str) -> str:
    return _err(f"must be less than {limit + 1} characters", pointer)


def _text_of(obj: Any) -> str | None:
    """Slack text objects are dicts; tolerate plain strings the way slack_sdk does."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return obj["text"]
    return None


def text_object_problems(obj: Any, pointer: str, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [_err("must be a text object", pointer)]
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed:
        return [_err(f"must be one of {', '.join(allowed)}", f"{pointer}/type")]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [_err("must be more than 0 characters", f"{pointer}/text")]
    if len(text) > limit:
        return [_too_long(limit, f"{pointer}/text")]
    return []


class _Walker:
    """Collects problems across one surface; ids must be unique per surface (block_id)."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.problems: list[str] = []
        self.block_ids: set[str] = set()

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.problems.append(_err("must be an object", pointer))
            return
        kind = block.get("type")
        if not isinstance(kind, str):
            self.problems.append(_err("missing required field: type", pointer))
            return
        if kind == "input" and self.surface == "message":
            # Slack only renders input blocks in surfaces that can be submitted.
            self.problems.append(_err("unsupported type: input", f"{pointer}/type"))
            return
        before = len(self.problems)
        self._block_id(block, pointer)
        action_ids: set[str] = set()
        if kind == "section":
            self._section(block, pointer, action_ids)
        elif kind == "header":
            self.problems += text_object_problems(
                block.get("text"), f"{pointer}/text", HEADER_TEXT_MAX, plain_only=True
            )
        elif kind == "context":
            self._context(block, pointer)
        elif kind == "actions":
            for i, element in enumerate(_as_list(block.get("elements"))):
                self.element(element, f"{pointer}/elements/{i}", action_ids)
        elif kind == "input":
            self.element(block.get("element"), f"{pointer}/element", action_ids)
        # slack_sdk restates many of our checks less precisely; only ask it when we found nothing.
        if len(self.problems) == before:
            self._sdk_check(block, pointer)

    def _sdk_check(self, block: dict[str, Any], pointer: str) -> None:
        try:
            parsed = Block.parse(block)
            if parsed is None:
                self.problems.append(_err(f"unsupported type: {block['type']}", f"{pointer}/type"))
                return
            parsed.validate_json()
            # to_dict() validates nested objects too, which validate_json() alone does not.
            parsed.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as e:
            self.problems.append(_err(str(e) or type(e).__name__, pointer))

    def _block_id(self, block: dict[str, Any], pointer: str) -> None:
        block_id = block.get("block_id")
        if block_id is None:
            return
        if not isinstance(block_id, str) or len(block_id) > ID_MAX:
            self.problems.append(_too_long(ID_MAX, f"{pointer}/block_id"))
        elif block_id in self.block_ids:
            self.problems.append(_err(f"duplicate block_id: {block_id}", f"{pointer}/block_id"))
        else:
            self.block_ids.add(block_id)

    def _section(self, block: dict[str, Any], pointer: str, action_ids: set[str]) -> None:
        if block.get("text") is not None:
            self.problems += text_object_problems(
                block["text"], f"{pointer}/text", SECTION_TEXT_MAX
            )
        fields = block.get("fields")
        if fields is not None:
            fields = _as_list(fields)
            if len(fields) > SECTION_FIELDS_MAX:
                self.problems.append(
                    _err(f"must be less than {SECTION_FIELDS_MAX + 1} items", f"{pointer}/fields")
                )
            for i, item in enumerate(fields):
                self.problems += text_object_problems(
                    item, f"{pointer}/fields/{i}", SECTION_FIELD_TEXT_MAX
                )
        if block.get("text") is None and not fields:
            self.problems.append(_err("must provide text or fields", pointer))
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{pointer}/accessory", action_ids)

    def _context(self, block: dict[str, Any], pointer: str) -> None:
        elements = _as_list(block.get("elements"))
        if len(elements) > CONTEXT_ELEMENTS_MAX:
            self.problems.append(
                _err(f"must be less than {CONTEXT_ELEMENTS_MAX + 1} items", f"{pointer}/elements")
            )
        for i, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                self.problems += text_object_problems(
                    element, f"{pointer}/elements/{i}", CONTEXT_TEXT_MAX
                )

    def element(self, element: Any, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(element, dict):
            self.problems.append(_err("must be an object", pointer))
            return
        action_id = element.get("action_id")
        if action_id is not None:
            if not isinstance(action_id, str) or len(action_id) > ID_MAX:
                self.problems.append(_too_long(ID_MAX, f"{pointer}/action_id"))
            elif action_id in action_ids:
                # Slack's rule is per containing block, not per surface: repeated rows that
                # share an action_id across blocks are legal and common.
                self.problems.append(
                    _err(f"duplicate action_id: {action_id}", f"{pointer}/action_id")
                )
            else:
                action_ids.add(action_id)
        kind = element.get("type")
        if element.get("placeholder") is not None:
            self.problems += text_object_problems(
                element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_MAX, plain_only=True
            )
        if kind == "button":
            self._button(element, pointer)
        elif kind in _SELECT_TYPES:
            self._options(element, pointer)
        elif kind == "plain_text_input":
            for key in ("max_length", "min_length"):
                value = element.get(key)
                if isinstance(value, int) and value > INPUT_LENGTH_MAX:
                    self.problems.append(
                        _err(f"must be less than {INPUT_LENGTH_MAX + 1}", f"{pointer}/{key}")
                    )

    def _button(self, element: dict[str, Any], pointer: str) -> None:
        self.problems += text_object_problems(
            element.get("text"), f"{pointer}/text", BUTTON_TEXT_MAX, plain_only=True
        )
        value = element.get("value")
        if isinstance(value, str) and len(value) > BUTTON_VALUE_MAX:
            self.problems.append(_too_long(BUTTON_VALUE_MAX, f"{pointer}/value"))
        url = element.get("url")
        if isinstance(url, str) and len(url) > URL_MAX:
            self.problems.append(_too_long(URL_MAX, f"{pointer}/url"))

    def _options(self, element: dict[str, Any], pointer: str) -> None:
        groups = element.get("option_groups")
        if groups is not None:
            for g, group in enumerate(_as_list(groups)):
                options = group.get("options") if isinstance(group, dict) else None
                self._option_list(options, f"{pointer}/option_groups/{g}/options")
        elif "options" in element:
            self._option_list(element.get("options"), f"{pointer}/options")

    def _option_list(self, options: Any, pointer: str) -> None:
        options = _as_list(options)
        if len(options) > OPTIONS_MAX:
            self.problems.append(_err(f"must be less than {OPTIONS_MAX + 1} items", pointer))
        for i, option in enumerate(options):
            if not isinstance(option, dict):
                self.problems.append(_err("must be an object", f"{pointer}/{i}"))
                continue
            self.problems += text_object_problems(
                option.get("text"), f"{pointer}/{i}/text", OPTION_TEXT_MAX
            )
            value = option.get("value")
            if isinstance(value, str) and len(value) > OPTION_VALUE_MAX:
                self.problems.append(_too_long(OPTION_VALUE_MAX, f"{pointer}/{i}/value"))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def block_problems(blocks: Any, surface: Surface, pointer: str = "/blocks") -> list[str]:
    """Every problem Slack would report for `blocks` on `surface`; empty when valid."""
    if not isinstance(blocks, list):
        return [_err("must be an array", pointer)]
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        return [_err(f"must be less than {limit + 1} items", pointer)]
    walker = _Walker(surface)
    for i, block in enumerate(blocks):
        walker.block(block, f"{pointer}/{i}")
    return walker.problems


def has_input_block(view: dict[str, Any]) -> bool:
    blocks = view.get("blocks")
    return isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )


def view_problems(view: Any) -> list[str]:
    """Problems Slack reports for a modal or home tab view (views.open/push/update/publish)."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [_err("must be one of modal, home", "/view/type")]
    problems: list[str] = []
    if kind == "modal":
        if view.get("title") is None:
            problems.append(_err("missing required field: title", "/view"))
        else:
            problems += text_object_problems(
                view["title"], "/view/title", VIEW_TITLE_MAX, plain_only=True
            )
        for key in ("submit", "close"):
            if view.get(key) is not None:
                problems += text_object_problems(
                    view[key], f"/view/{key}", VIEW_BUTTON_MAX, plain_only=True
                )
        if has_input_block(view) and view.get("submit") is None:
            problems.append(_err("submit is required when an input block is present", "/view"))
    elif view.get("submit") is not None or view.get("close") is not None:
        problems.append(_err("home tabs cannot have submit or close", "/view"))
    for key, limit in (
        ("callback_id", ID_MAX),
        ("external_id", ID_MAX),
        ("private_metadata", PRIVATE_METADATA_MAX),
    ):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            problems.append(_too_long(limit, f"/view/{key}"))
    if "blocks" not in view:
        problems.append(_err("missing required field: blocks", "/view"))
    else:
        problems += block_problems(view["blocks"], kind, "/view/blocks")
    if not problems:
        problems += _sdk_view_problems(view)
    return problems


def _sdk_view_problems(view: dict[str, Any]) -> list[str]:
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as e:
        return [_err(str(e) or type(e).__name__, "/view")]
    return []
