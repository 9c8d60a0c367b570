"""`cells` (flows/document/escape.py), the timeline's bulk escaping, is `md_cell` value by
value, whatever the values hold."""

from __future__ import annotations

import pytest

from flows.document.escape import cells, md_cell

VALUES = [
    "plain words", "", "  padded  ", "# heading", "#5 and -5", "- item", "+ item", "1. one",
    "2) two", "== underline", "---", "١. arabic-indic digit", "² superscript", "a | b * c _ d",
    "<b>&amp;</b> `code` [link] ~x~ \\ back", "tab\tinside", "bell\x07inside", "del\x7finside",
    "two\nlines", "cr\rreturn", "crlf\r\n- list", "non-breaking\u00a0space", "\u00a0edges\u00a0",
    "emoji 🚨 alert", "line\u2028separator", "zero\u200bwidth", " \n ", "9", "-",
]


@pytest.mark.parametrize("values", [
    VALUES,
    [v for v in VALUES if v.isascii() and v.isprintable()],  # the one-go ASCII check
    [v for v in VALUES if v.isprintable()],
    [v for v in VALUES if v.isascii()],
    ["no leading marks", "at all"],
    [],
])
def test_cells_are_md_cell_value_by_value(values: list[str]) -> None:
    assert cells(values) == [md_cell(v) for v in values]


@pytest.mark.parametrize("bad", ["a\nb", "a\x00b", "\x1f", "\x7f", "a\tb", "\n"])
def test_one_control_character_among_many_clean_values_is_seen(bad: str) -> None:
    values = [f"entry {i}" for i in range(300)]
    values[150] = bad
    assert cells(values) == [md_cell(v) for v in values]
