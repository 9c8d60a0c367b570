"""Each built-in template against its seed: every heading, in order, and every field it asks for."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from flows.document import list_templates, render_markdown
from tests.flows.factories import CHANNELS, NOW, PEOPLE, empty_record, full_record
from tests.flows.seeds import FIELDS, HEADINGS, OMITTED, SEED_FILES

TEMPLATES = sorted(SEED_FILES)
# Headings a template adds to its seed, and why.
EXTRAS = {
    "tz010": {
        "Permanent Fix": "seed 001's Prevention asks for it; it gets its own place",
        "Medium-term (P2, within a month)": "P2 items are due within a month: neither this "
        "sprint nor next quarter",
    },
}


def headings(text: str) -> list[str]:
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


def render(template: str, full: bool = True) -> str:
    record = full_record() if full else empty_record()
    return render_markdown(record, template=template, now=NOW, people=PEOPLE, channels=CHANNELS,
                           tz="Europe/Berlin")


def test_every_builtin_template_has_a_seed() -> None:
    assert list_templates() == TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("full", [True, False], ids=["full", "empty"])
def test_seed_headings_render_in_the_seeds_order(template: str, full: bool) -> None:
    title = (full_record() if full else empty_record()).incident.title
    expected = [r.format(title=title) for _, r in HEADINGS[template] if r is not None]
    extras = EXTRAS.get(template, {})
    rendered = [h for h in headings(render(template, full)) if h not in extras]
    assert rendered == expected


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_seed_heading_is_rendered_or_its_omission_explained(template: str) -> None:
    for seed, rendered in HEADINGS[template]:
        if rendered is None:
            assert OMITTED.get((template, seed)), f"{template}: “{seed}” dropped silently"


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("full", [True, False], ids=["full", "empty"])
def test_every_seed_field_is_in_the_document(template: str, full: bool) -> None:
    text = render(template, full)
    # Table headers and list entries appear once there is something to list.
    listed = ("|", "- ", "  - ")
    missing = [seed for seed, shown in FIELDS[template].items()
               if shown not in text and (full or not shown.startswith(listed))]
    assert missing == []
