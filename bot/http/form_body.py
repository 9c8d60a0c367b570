"""URL-encoded form bodies (Slack's commands and interactions) decoded at C speed.

A modal's submission is a form with one field, `payload`: kilobytes of JSON in which every
quote, brace and colon is a %-escape, a thousand of them or more. The standard library decodes
them one at a time in a Python loop, which was the largest single cost of such a request's ack.
Here the codecs do it in C: each `%XX` becomes `\\xXX` for the `unicode_escape` codec, whose
one character per byte goes back to bytes through Latin-1, then UTF-8 (a tenth of the
standard library's time, a third of a regular expression's). A value the codec cannot take
as it is — a backslash of its own, a `%` not followed by two hex digits — has its escapes split
out by a regular expression and mapped by a table instead. The result is
`parse_qsl(text, keep_blank_values=True)`'s, exactly; a body that is not plain ASCII (never
Slack's) goes to parse_qsl itself.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_DIGITS = "0123456789abcdefABCDEF"
_BYTE = {f"{a}{b}".encode(): bytes.fromhex(f"{a}{b}") for a in _DIGITS for b in _DIGITS}


def parse_form(text: str) -> list[tuple[str, str]]:
    """The body's fields in order, as `parse_qsl(text, keep_blank_values=True)` gives them."""
    if not text.isascii():
        return parse_qsl(text, keep_blank_values=True)
    fields = []
    for pair in text.encode("ascii").split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        fields.append((_unquote_plus(name), _unquote_plus(value)))
    return fields


def _unquote_plus(raw: bytes) -> str:
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw.decode("ascii")
    if b"\\" not in raw:
        try:
            return (raw.replace(b"%", b"\\x").decode("unicode_escape")
                    .encode("latin-1").decode("utf-8", "replace"))
        except UnicodeDecodeError:  # a "%" that is not an escape left "\\x" without its hex
            pass
    # [text, hex, text, hex, ..., text]: each hex pair replaced by its byte, then joined.
    parts = _ESCAPE.split(raw)
    parts[1::2] = map(_BYTE.__getitem__, parts[1::2])
    return b"".join(parts).decode("utf-8", "replace")
