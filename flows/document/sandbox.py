"""The sandboxed Jinja2 environment documents render in (imported by the first render:
flows/document/render.py)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from flows.document.escape import Md, finalize, md_block, md_cell, md_fence, md_inline, md_link
from flows.document.render import BUILTIN_DIR
from flows.document.rows import VIEW_ROWS
from flows.metrics import format_duration
from storage.record import FactorRow
from storage.tables import ContributingFactor, Incident, Postmortem


def _duration(value: timedelta | None) -> Md:
    return Md(format_duration(value))


def _said(value: Any, fallback: str = "Not recorded") -> Md:
    """The value on one line (a bare web link becomes a link), or `fallback` when empty."""
    if isinstance(value, str) and value.startswith(("https://", "http://")) \
            and not any(c.isspace() for c in value.strip()):
        return md_link(value.strip(), value.strip())
    text = md_inline(value)
    return text if text else Md(md_inline(fallback))


def _join(values: Any, sep: str = ", ") -> Md:
    """Like Jinja's `join`, but each item escaped (unless already ours) and the result safe."""
    core = sep.strip()
    glue = sep.replace(core, md_inline(core), 1) if core else sep
    return Md(glue.join(md_inline(v) for v in values if v))


# The tables a template reaches through the context (`inc`, `pm`, `factors`), by column name;
# the record's factors are plain rows of the same columns once read (storage/record.py).
_COLUMNS: dict[type, frozenset[str]] = {
    table: frozenset(table.__table__.columns.keys())  # type: ignore[union-attr]
    for table in (Incident, Postmortem, ContributingFactor)} | {
    FactorRow: frozenset(FactorRow._fields)}


class _Sandbox(ImmutableSandboxedEnvironment):
    # Our view rows are plain data with public fields only; the generic checks (abc
    # isinstance tests per access) were half the render time on a 2,000-entry timeline.
    # Columns of our tables, the loop's public fields and a dict's keys (that are not its
    # methods' names) are each what the generic path returns, without its checks and the
    # AttributeError it raises first for a key: a fifth of a long document's template time.
    def getattr(self, obj: Any, attribute: str) -> Any:
        kind = type(obj)
        if kind in VIEW_ROWS or kind is LoopContext:
            if not attribute.startswith("_"):
                try:
                    return getattr(obj, attribute)
                except AttributeError:
                    pass
        elif kind is dict:
            if attribute in obj and not hasattr(dict, attribute):
                return obj[attribute]
        elif attribute in _COLUMNS.get(kind, ()):
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        # A view row's field by name (`selectattr("closed")`): rows are not subscriptable,
        # so the generic path raised TypeError before it looked the field up.
        if type(obj) in VIEW_ROWS and type(argument) is str and not argument.startswith("_"):
            try:
                return getattr(obj, argument)
            except AttributeError:
                pass
        return super().getitem(obj, argument)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if type(obj) in VIEW_ROWS:
            return not attr.startswith("_")
        return bool(super().is_safe_attribute(obj, attr, value))


@lru_cache(maxsize=32)
def environment(templates_dir: Path | None) -> ImmutableSandboxedEnvironment:
    """One environment per directory, so its compiled-template cache survives across renders."""
    search = [str(templates_dir)] if templates_dir else []
    env = _Sandbox(
        loader=jinja2.FileSystemLoader([*search, str(BUILTIN_DIR)]),
        autoescape=False,  # Markdown, not HTML: escaping is the filters' job (and finalize's)
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=templates_dir is not None,
    )
    env.filters.update(
        md_inline=md_inline,
        md_cell=md_cell,
        md_block=md_block,
        md_link=md_link,
        md_fence=md_fence,
        said=_said,
        duration=_duration,
        mdjoin=_join,
    )
    # Jinja's own `join` and `indent` return plain strings, which finalize would escape a
    # second time; point template authors at the Markdown-aware versions instead.
    env.filters["join"] = _join
    return env
