"""Rendering a post-mortem to Markdown with a built-in or a team's Jinja2 template."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from flows.document.context import build_context, zone
from flows.document.escape import Md, finalize, md_block, md_cell, md_fence, md_inline, md_link
from flows.document.names import Names
from flows.document.rows import VIEW_ROWS
from flows.errors import PostmortemError
from flows.metrics import format_duration
from storage.record import PostmortemRecord

BUILTIN_DIR = Path(__file__).parent / "templates"
SUFFIX = ".md.j2"
DEFAULT_TEMPLATE = "comprehensive"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class TemplateNotFound(PostmortemError):
    def __init__(self, name: str, available: list[str]) -> None:
        super().__init__(
            f"There is no post-mortem template called “{name}”. "
            f"Available templates: {', '.join(available) or 'none'}."
        )
        self.name = name
        self.available = available


class UnknownTimezone(PostmortemError):
    """A time zone name the tz database does not know."""


class TemplateFailed(PostmortemError):
    """A template (usually a team's own) has a syntax error or failed while rendering."""


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


class _Sandbox(ImmutableSandboxedEnvironment):
    # Our view rows are plain data with public fields only; the generic checks (abc
    # isinstance tests per access) were half the render time on a 2,000-entry timeline.
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) in VIEW_ROWS and not attribute.startswith("_"):
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if type(obj) in VIEW_ROWS:
            return not attr.startswith("_")
        return bool(super().is_safe_attribute(obj, attr, value))


@lru_cache(maxsize=32)
def _environment(templates_dir: Path | None) -> ImmutableSandboxedEnvironment:
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


def list_templates(templates_dir: Path | None = None) -> list[str]:
    """Names usable as `template=`: the built-ins plus a team's own `<name>.md.j2` files."""
    names: set[str] = set()
    for folder in (BUILTIN_DIR, templates_dir):
        if folder is None or not folder.is_dir():
            continue
        for path in folder.glob("*" + SUFFIX):
            name = path.name[: -len(SUFFIX)]
            if _NAME.match(name):  # `_macros` and friends are building blocks, not templates
                names.add(name)
    return sorted(names)


def render_markdown(
    record: PostmortemRecord,
    *,
    template: str | None = None,
    templates_dir: Path | None = None,
    tz: str = "UTC",
    now: datetime,
    people: Mapping[str, str] | None = None,
    channels: Mapping[str, str] | None = None,
    archive_url: str | None = None,
) -> str:
    """The post-mortem as CommonMark (GFM tables).

    `people` maps Slack user ids to display names and `channels` channel ids to names (without
    `#`); an id appears in the document only when neither knows it. `archive_url` is where
    the published document lives, for the templates that cite it.
    """
    try:
        zone(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise UnknownTimezone(f"“{tz}” is not a time zone; use a name like Europe/Berlin.") from err
    name = template or record.postmortem.template or DEFAULT_TEMPLATE
    folder = templates_dir.resolve() if templates_dir else None
    available = list_templates(folder)
    if name not in available:
        raise TemplateNotFound(name, available)
    env = _environment(folder)
    try:
        compiled = env.get_template(name + SUFFIX)
        names = Names(people or {}, channels or {})
        context = build_context(record, tz=tz, now=now, names=names, archive_url=archive_url)
        text = compiled.render(context)
    except jinja2.TemplateSyntaxError as err:
        raise TemplateFailed(
            f"The template “{name}” has an error on line {err.lineno}: {err.message}"
        ) from err
    except jinja2.TemplateError as err:
        raise TemplateFailed(f"The template “{name}” could not be rendered: {err}") from err
    # Template authors should not have to count blank lines around optional sections.
    # (str.replace scans with memchr; a regex over a 250 KiB document took milliseconds.)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"
