"""Post-mortem documents: Markdown rendered from a record with Jinja2 templates."""

from flows.document.escape import Md, md_block, md_cell, md_inline, md_link
from flows.document.render import (
    DEFAULT_TEMPLATE,
    TemplateFailed,
    TemplateNotFound,
    UnknownTimezone,
    list_templates,
    render_markdown,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "Md",
    "TemplateFailed",
    "TemplateNotFound",
    "UnknownTimezone",
    "list_templates",
    "md_block",
    "md_cell",
    "md_inline",
    "md_link",
    "render_markdown",
]
