"""Turning user text into Markdown that reads as the same text and can never add structure.

Every user value reaches the document through one of these filters; `finalize` applies
`md_inline` to anything that did not, so a template that forgets a filter stays safe.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Any
from urllib.parse import quote, urlsplit


class Md(str):
    """Markdown we produced ourselves and that may be emitted as it is."""

    __slots__ = ()


# Backslash escapes work for ASCII punctuation everywhere in CommonMark, table cells included;
# `<`, `>` and `&` become entities instead, so no HTML or entity reference can survive.
_INLINE = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "~": "\\~",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
    }
)
# Only at the start of a line do these open a block: an ATX heading, a bullet or ordered list
# item, a setext underline or thematic break. Lookaheads keep "#5", "-5" and "1.0" readable.
_LEADING = re.compile(
    r"^(#{1,6}(?=\s|$)|[-+](?=\s|$)|[-=](?=[-=\s]*$))|^(\d{1,9})([.)])(?=\s|$)"
)
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _leading(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


# The same mapping as replacements: for the short lines documents are made of, a few C-level
# `in` scans and replaces are several times faster than a dict-driven `translate`. The
# backslash and `&` go first, so the escapes added later are not escaped again.
_PAIRS = tuple(sorted(((chr(k), v) for k, v in _INLINE.items()),
                      key=lambda kv: kv[0] not in "\\&"))


def _escape_line(line: str) -> str:
    """One line, already stripped, with no newline in it."""
    for char, escaped in _PAIRS:
        if char in line:
            line = line.replace(char, escaped)
    if line and (line[0] in "#=+-" or line[0].isdigit()):
        line = _LEADING.sub(_leading, line, count=1)
    return line


def cells(values: list[str]) -> list[str]:
    """`md_cell` over many values at once, as plain strings (the caller marks them `Md` when
    it hands them on): the escapes run once over all of them joined, which on a timeline of
    thousands of entries is several times faster than line by line."""
    if not values:
        return []
    if _all_printable(values):  # each one line, no control characters: the norm
        return _escape_lines(list(map(str.strip, values)))
    out: list[str] = list(values)
    simple: list[int] = []
    for i, value in enumerate(values):
        if value.isprintable():
            simple.append(i)
        else:
            out[i] = md_cell(value)
    if simple:
        lines = _escape_lines([values[i].strip() for i in simple])
        for i, line in zip(simple, lines, strict=True):
            out[i] = line
    return out


def _all_printable(values: list[str]) -> bool:
    """`str.isprintable` of every value. ASCII text (the usual) is checked in one go: joined
    by newlines, its only control characters are those newlines when every value is
    printable. `isprintable` value by value looks each character up in Unicode's tables."""
    joined = "\n".join(values)
    if not joined.isascii():
        return all(map(str.isprintable, values))
    text = joined.encode("ascii")
    return len(text.translate(None, _ASCII_CONTROLS)) == len(text) - (len(values) - 1)


_ASCII_CONTROLS = bytes([*range(32), 127])


def _escape_lines(lines: list[str]) -> list[str]:
    """`_escape_line` over stripped one-line values."""
    joined = "\n".join(lines)
    for char, escaped in _PAIRS:
        if char in joined:
            joined = joined.replace(char, escaped)
    out = joined.split("\n")
    # Only a line starting with one of these can open a block: most documents have none,
    # and a C-level pass over the first characters says so without a loop over the lines.
    if any(c in "#=+-" or c.isdigit() for c in set(map(_FIRST, out))):
        for i, line in enumerate(out):
            if line and (line[0] in "#=+-" or line[0].isdigit()):
                out[i] = _LEADING.sub(_leading, line, count=1)
    return out


_FIRST = itemgetter(slice(1))  # a line's first character, "" for an empty line


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    # isprintable() is a fast C scan; most values are clean and skip the regex.
    return text if text.isprintable() else _CONTROL.sub("", text)


def md_inline(value: Any) -> Md:
    """Text for a running line: specials escaped, line breaks folded into spaces."""
    if isinstance(value, Md):
        return value
    text = _text(value).strip()
    if "\n" in text or "\r" in text:
        text = _NEWLINES.sub(" ", text)
    return Md(_escape_line(text))


def md_cell(value: Any) -> Md:
    """Text for a GFM table cell: as `md_inline`, with line breaks kept as ` / `."""
    if isinstance(value, Md):
        return value
    text = _text(value).strip()
    if "\n" in text or "\r" in text:
        text = _NEWLINES.sub(" / ", text)
    return Md(_escape_line(text))


def md_block(value: Any, indent: int = 0) -> Md:
    """Paragraphs: every line escaped, single line breaks kept, blank lines kept as breaks.

    `indent` spaces go before every line but the first, so a block can sit in a list item.
    """
    if isinstance(value, Md):
        return value
    pad = " " * indent
    out: list[str] = []
    blank = False
    for raw in _text(value).splitlines():
        line = raw.strip()
        if not line:
            blank = bool(out)
            continue
        if out:
            # A trailing backslash is CommonMark's hard line break; whitespace would not survive.
            out.append("\n\n" + pad if blank else "\\\n" + pad)
        out.append(_escape_line(line))
        blank = False
    return Md("".join(out))


_URL_SAFE = ":/?#@!$&'*+,;=%-._~"


def md_link(text: Any, url: str | None) -> Md:
    """A link when `url` is plain http(s), otherwise just the escaped text."""
    label = md_inline(text)
    if not url:
        return label
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return label
    if scheme not in ("http", "https") or any(c.isspace() for c in url):
        return label
    # Parentheses, brackets and angle brackets are percent-encoded so the destination
    # cannot end early; `&` stays a query separator but cannot start an entity.
    dest = quote(url, safe=_URL_SAFE).replace("&", "&amp;")
    return Md(f"[{label or md_inline(url)}]({dest})")


def finalize(value: Any) -> Any:
    """Jinja's last step for every `{{ }}`: our Markdown passes, everything else is escaped."""
    if isinstance(value, Md):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    return md_inline(value)


_BACKTICKS = re.compile(r"`+")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


def md_fence(value: Any) -> Md:
    """Text shown exactly as typed (log lines, configuration) in a fenced code block.

    Nothing inside a fence is Markdown or HTML; the fence is one backtick longer than the
    longest run inside, so the text cannot close it. Runs of blank lines fold into one (the
    renderer folds them everywhere).
    """
    text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text).strip("\n")
    if not text.strip():
        return Md("")
    text = _BLANK_LINES.sub("\n\n", text)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return Md(f"{fence}\n{text}\n{fence}")
