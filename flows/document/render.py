"""Rendering a post-mortem to Markdown with a built-in or a team's Jinja2 template."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from flows.document.context import build_context, zone
from flows.document.names import Names
from flows.errors import PostmortemError
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
    archive_location: str | None = None,
) -> str:
    """The post-mortem as CommonMark (GFM tables).

    `people` maps Slack user ids to display names and `channels` channel ids to names (without
    `#`); an id appears in the document only when neither knows it. `archive_location` is the
    archived file (a path) and `archive_url` its address, for the templates that cite them.
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
    # Jinja2 (a tenth of the bot's imports) is loaded by the first render, not by `serve`:
    # nothing answers Slack with a document.
    import jinja2

    from flows.document.sandbox import environment

    env = environment(folder)
    try:
        compiled = env.get_template(name + SUFFIX)
        names = Names(people or {}, channels or {})
        context = build_context(record, tz=tz, now=now, names=names, archive_url=archive_url,
                                archive_location=archive_location)
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
