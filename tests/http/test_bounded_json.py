"""JSON from outside: nesting bounded at MAX_DEPTH, counted on the containers, not the text."""

from __future__ import annotations

import json

import pytest

from bot.http.bounded_json import MAX_DEPTH, BadJson, loads_object


def nested(levels: int) -> str:
    """An object whose containers nest `levels` deep, alternating lists and objects."""
    inner: object = 1
    for i in range(levels - 1):
        inner = [inner] if i % 2 else {"k": inner}
    return json.dumps({"top": inner})


def test_nesting_up_to_the_limit_is_taken_one_more_is_refused() -> None:
    assert loads_object(nested(MAX_DEPTH))["top"]
    with pytest.raises(BadJson, match=f"payload: JSON nested deeper than {MAX_DEPTH} levels"):
        loads_object(nested(MAX_DEPTH + 1), "payload")


def test_a_document_deeper_than_the_decoder_goes_is_refused_as_too_deep() -> None:
    with pytest.raises(BadJson, match="nested deeper"):
        loads_object('{"a":' + "[" * 100_000 + "]" * 100_000 + "}")


def test_brackets_inside_strings_are_text() -> None:
    text = json.dumps({"a": "[" * 100 + "{" * 100, "b": "]]]]}}}}", "c": [[["fine"]]]})
    assert loads_object(text)["c"] == [[["fine"]]]


@pytest.mark.parametrize("text, why", [
    ("[1, 2]", "expected an object"), ("{bad", "malformed JSON"),
    ('{"a": NaN}', "NaN is not a JSON number"),
])
def test_what_is_not_a_bounded_object_says_why(text: str, why: str) -> None:
    with pytest.raises(BadJson, match=why):
        loads_object(text)
