"""Rendering: golden files per built-in template, injection, CommonMark/GFM validity."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from flows.document import (
    TemplateFailed,
    TemplateNotFound,
    list_templates,
    md_block,
    md_cell,
    md_inline,
    md_link,
    render_markdown,
)
from flows.errors import PostmortemError
from flows.inputs import (
    COMMUNICATION_FIELDS,
    FINANCE_TEXT_FIELDS,
    FOLLOW_UP_FIELDS,
    IMPACT_EXTRA_FIELDS,
    RESOLUTION_FIELDS,
)
from storage.record import PostmortemRecord
from tests.flows.factories import CHANNELS, NOW, PEOPLE, empty_record, full_record

# Free-text inputs (not the fenced log excerpts and configuration, which are tested apart).
TEXT_INPUTS = [f.name for group in (IMPACT_EXTRA_FIELDS, RESOLUTION_FIELDS, COMMUNICATION_FIELDS,
                                    FINANCE_TEXT_FIELDS, FOLLOW_UP_FIELDS) for f in group]

GOLDEN = Path(__file__).parent / "golden"
BUILTINS = ["bilko", "comprehensive", "enterprise", "lean", "tz010"]
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

EVIL = (
    "# heading | pipe | <script>alert(1)</script> `code` {{ 7*7 }} {% if true %}x{% endif %}"
    " *em* _u_ ~~s~~ [link](http://x.example) ![img](http://y.example) &amp; <b>b</b> \\\n"
    "- item\n1. one\n> quote\n---\n===\n    indented\n```\n<div>html block</div>"
)


def parse(text: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def block_types(tokens: list[Token]) -> list[str]:
    return [t.type for t in tokens]


def inline_shape(tokens: list[Token]) -> list[list[str]]:
    """Inline structure without plain text and line breaks, which may differ harmlessly."""
    skip = {"text", "softbreak", "hardbreak"}
    return [[c.type for c in t.children or [] if c.type not in skip]
            for t in tokens if t.type == "inline"]


def all_text(tokens: list[Token]) -> str:
    return "\n".join(c.content for t in tokens if t.type == "inline"
                     for c in t.children or [] if c.type == "text")


def tables(tokens: list[Token]) -> list[list[list[str]]]:
    """Each table as rows of cell texts, header row first."""
    out: list[list[list[str]]] = []
    row: list[str] | None = None
    in_cell = False
    for t in tokens:
        if t.type == "table_open":
            out.append([])
        elif t.type == "tr_open":
            row = []
        elif t.type == "tr_close" and row is not None:
            out[-1].append(row)
        elif t.type in ("th_open", "td_open"):
            in_cell = True
        elif t.type in ("th_close", "td_close"):
            in_cell = False
        elif t.type == "inline" and in_cell and row is not None:
            row.append("".join(c.content for c in t.children or []))
    return out


def evil_record() -> PostmortemRecord:
    """The full record with every piece of user text replaced by markup that must stay text."""
    record = full_record()
    inc, pm = record.incident, record.postmortem
    inc.title = EVIL
    inc.services = [EVIL, "api"]
    inc.reference = EVIL
    inc.detection_method = EVIL
    inc.channel_id = EVIL
    inc.alert_name, inc.alert_source = EVIL, EVIL
    lines = {name: len((getattr(pm, name) or "").splitlines())
             for name in ("distribution", "glossary")}
    for name in ("summary", "root_cause", "cause_what", "cause_why", "cause_how", "mitigation",
                 "permanent_fix", "users_affected", "requests_failed", "data_impact",
                 "revenue_impact", "sla_breach", "support_tickets", "regulatory_notification",
                 "customer_impact", *TEXT_INPUTS):
        setattr(pm, name, EVIL)
    pm.finance_modules = [EVIL]
    # A bare link stays a link: its destination is what must not break out.
    pm.status_page = "https://evil.example/<b>x</b>(y)[z]`*_|&amp;"
    # One entry per line: keep the line count so the structure stays comparable.
    one_line = EVIL.replace("\n", " ")
    for name, count in lines.items():
        setattr(pm, name, "\n".join([one_line] * count))
    for e in record.timeline:
        e.text, e.actor = EVIL, EVIL
    for r in record.references:
        r.label = EVIL
    for w in record.whys:
        w.question, w.answer = EVIL, EVIL
    for f in record.factors:
        f.text, f.category, f.severity = EVIL, EVIL, EVIL
    for x in record.learnings:
        x.text = EVIL
    for a in record.action_items:
        a.title, a.category, a.priority, a.success_criteria = EVIL, EVIL, a.priority, EVIL
    for d in record.decisions:
        d.comment = EVIL
    for doc in record.documents:
        doc.version, doc.change = EVIL, EVIL
    return record


def render(record: PostmortemRecord, template: str, **kw: Any) -> str:
    return render_markdown(record, template=template, now=NOW, **kw)


def test_builtin_templates_are_listed() -> None:
    assert list_templates() == BUILTINS


@pytest.mark.parametrize("template", BUILTINS)
@pytest.mark.parametrize("variant", ["full", "empty"])
def test_golden(template: str, variant: str) -> None:
    if variant == "full":
        text = render(full_record(), template, tz="Europe/Berlin", people=PEOPLE,
                      channels=CHANNELS)
    else:
        text = render(empty_record(), template)
    path = GOLDEN / f"{template}-{variant}.md"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path.name}: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("template", BUILTINS)
def test_empty_sections_say_so_and_leave_no_placeholders(template: str) -> None:
    text = render(empty_record(), template)
    assert "Not recorded" in text or "were recorded" in text
    for placeholder in ("[Name]", "YYYY", "HH:MM", "None\n", "{{", "{%"):
        assert placeholder not in text


@pytest.mark.parametrize("template", BUILTINS)
@pytest.mark.parametrize("variant", ["full", "empty", "evil"])
def test_document_is_valid_commonmark_without_html(template: str, variant: str) -> None:
    record = {"full": full_record, "empty": empty_record, "evil": evil_record}[variant]()
    tokens = parse(render(record, template, people=PEOPLE))
    types = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert "html_block" not in types and "html_inline" not in types
    assert "code_block" not in types
    # Fences hold the log excerpts and configuration, exactly as typed, and nothing else.
    fences = [t.content.rstrip("\n") for t in tokens if t.type == "fence"]
    pm = record.postmortem
    shown = [x for x in (pm.log_excerpts, pm.config_changes) if x]
    assert fences == (shown if template == "comprehensive" else [])
    assert sum(t.type == "heading_open" and t.tag == "h1" for t in tokens) == 1


def test_fenced_text_cannot_close_its_fence() -> None:
    record = full_record()
    record.postmortem.log_excerpts = "```\n# not a heading\n````\n<b>x</b>"
    tokens = parse(render(record, "comprehensive"))
    fences = [t for t in tokens if t.type == "fence"]
    assert fences[0].content == "```\n# not a heading\n````\n<b>x</b>\n"
    assert "html_block" not in {t.type for t in tokens}


@pytest.mark.parametrize("template", BUILTINS)
def test_user_text_cannot_change_the_document_structure(template: str) -> None:
    benign = parse(render(full_record(), template))
    evil_text = render(evil_record(), template)
    evil = parse(evil_text)
    assert block_types(evil) == block_types(benign)
    assert inline_shape(evil) == inline_shape(benign)
    text = all_text(evil)
    assert "{{ 7*7 }}" in text and "{% if true %}x{% endif %}" in text
    assert "<script>alert(1)</script>" in text
    assert "49" not in evil_text


@pytest.mark.parametrize("template", ["comprehensive", "tz010", "bilko", "lean"])
def test_table_cells_hold_user_text_whole(template: str) -> None:
    record = evil_record()
    found = [t for t in tables(parse(render(record, template))) if len(t) > 1]
    timeline_like = [t for t in found if {"Event", "Action/Event"} & set(t[0])]
    flattened = md_cell(EVIL)
    expected = "".join(c.content for c in parse(flattened)[1].children or [])
    assert timeline_like or template == "lean"
    for table in found:
        width = len(table[0])
        assert all(len(row) == width for row in table)
    for table in timeline_like:
        assert len(table) == len(record.timeline) + 1
        # A milestone tag ("Detected:") may precede the text; the text itself stays whole.
        assert all(any(cell.endswith(expected) for cell in row) for row in table[1:])


def test_table_row_and_column_counts() -> None:
    record = full_record()
    found = tables(parse(render(record, "comprehensive")))
    shapes = [(len(t), len(t[0])) for t in found]
    assert (len(record.timeline) + 1, 3) in shapes
    assert (len(record.action_items) + 1, 7) in shapes
    assert (2 + 1, 4) in shapes  # sign-off: two reviewers
    assert (len(record.documents) + 2, 4) in shapes  # changelog: documents plus current


def test_evil_inputs_stay_text_in_fences() -> None:
    record = evil_record()
    record.postmortem.log_excerpts = EVIL
    record.postmortem.config_changes = EVIL
    tokens = parse(render(record, "comprehensive"))
    fences = [t.content for t in tokens if t.type == "fence"]
    assert len(fences) == 2
    assert all(f.startswith("# heading | pipe | <script>") for f in fences)


def test_times_are_shown_in_the_requested_zone() -> None:
    text = render(full_record(), "comprehensive", tz="Europe/Berlin")
    assert "All times in Europe/Berlin, on 2026-03-14" in text
    assert "| 10:00 | Service started returning 500 errors |" in text
    utc = render(full_record(), "comprehensive")
    assert "| 09:00 | Service started returning 500 errors |" in utc


def test_multi_day_timeline_shows_dates() -> None:
    record = full_record()
    record.timeline[-1].occurred_at = record.timeline[-1].occurred_at.replace(day=15)
    text = render(record, "lean")
    assert "**2026-03-15 09:12**" in text
    assert ", on 2026-03-14" not in text


def test_signoff_and_changelog_come_from_decisions_and_documents() -> None:
    text = render(full_record(), "comprehensive", people=PEOPLE)
    assert "| @carol | Approved | 2026-03-16 | Looks good |" in text
    assert "| @dave | Pending |  |  |" in text
    assert "| 2026-03-15 | 1.0 | Submitted for review | @alice |" in text
    assert "| 2026-03-16 | current | This rendering (In review) | @alice |" in text


def test_unknown_template_lists_the_available_ones() -> None:
    with pytest.raises(TemplateNotFound) as err:
        render(full_record(), "nope")
    assert isinstance(err.value, PostmortemError)
    assert "nope" in str(err.value)
    for name in BUILTINS:
        assert name in str(err.value)


def test_record_template_is_the_default() -> None:
    record = full_record()
    record.postmortem.template = "lean"
    assert render_markdown(record, now=NOW).startswith("# Post-Mortem:")
    assert "## 7. Action Items" in render_markdown(record, now=NOW)


def test_team_templates_add_and_override(tmp_path: Path) -> None:
    (tmp_path / "team.md.j2").write_text("# {{ inc.title|md_inline }}\n\n{{ pm.summary }}\n")
    (tmp_path / "lean.md.j2").write_text("# Our lean\n")
    (tmp_path / "_partial.md.j2").write_text("not a template of its own\n")
    assert list_templates(tmp_path) == [*BUILTINS[:3], "lean", "team", "tz010"]
    record = full_record()
    record.postmortem.summary = "# not a heading <b>x</b>"
    text = render(record, "team", templates_dir=tmp_path)
    # No filter on pm.summary: finalize escapes it all the same.
    assert text == "# Checkout API returned 500 errors\n\n\\# not a heading &lt;b&gt;x&lt;/b&gt;\n"
    assert render(record, "lean", templates_dir=tmp_path) == "# Our lean\n"
    assert "## 1. Executive Summary" in render(record, "bilko", templates_dir=tmp_path)


def test_team_template_edits_are_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "team.md.j2"
    path.write_text("one\n")
    assert render(full_record(), "team", templates_dir=tmp_path) == "one\n"
    path.write_text("two\n")
    os.utime(path, (path.stat().st_atime + 5, path.stat().st_mtime + 5))
    assert render(full_record(), "team", templates_dir=tmp_path) == "two\n"


@pytest.mark.parametrize(
    "source",
    [
        "{% if %}",
        "{{ pm.__class__.__mro__ }}",
        "{{ no_such_variable }}",
        "{{ pm.reviewers.append('U0EVE') }}",
    ],
)
def test_broken_or_unsafe_team_templates_fail_readably(tmp_path: Path, source: str) -> None:
    (tmp_path / "bad.md.j2").write_text(source)
    with pytest.raises(TemplateFailed) as err:
        render(full_record(), "bad", templates_dir=tmp_path)
    assert "“bad”" in str(err.value)


def test_unknown_timezone_is_a_readable_error() -> None:
    with pytest.raises(PostmortemError, match="Mars/Olympus"):
        render(full_record(), "lean", tz="Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", "plain words"),
        ("# title", "\\# title"),
        ("#5 and -5 and 1.0", "#5 and -5 and 1.0"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("1. one", "1\\. one"),
        ("2) two", "2\\) two"),
        ("---", "\\---"),
        ("===", "\\==="),
        ("> quote", "&gt; quote"),
        ("a | b", "a \\| b"),
        ("<script>", "&lt;script&gt;"),
        ("&amp;", "&amp;amp;"),
        ("`x` *y* _z_ ~w~ [l](u)", "\\`x\\` \\*y\\* \\_z\\_ \\~w\\~ \\[l\\](u)"),
        ("back\\slash", "back\\\\slash"),
        ("line one\n\n  line two  ", "line one line two"),
        (None, ""),
    ],
)
def test_md_inline(text: str | None, expected: str) -> None:
    assert md_inline(text) == expected


def test_md_cell_and_block_keep_line_breaks_safely() -> None:
    assert md_cell("one\ntwo | three") == "one / two \\| three"
    assert md_block("one\n# two\n\n\nthree", indent=2) == "one\\\n  \\# two\n\n  three"
    tokens = parse("- " + md_block("one\n# two\n\n- three", indent=2) + "\n")
    assert "heading_open" not in block_types(tokens)
    assert sum(t.type == "list_item_open" for t in tokens) == 1


def test_md_link_only_links_plain_web_urls() -> None:
    assert md_link("a [b]", "https://x.example/p?q=1&r=(2)") == (
        "[a \\[b\\]](https://x.example/p?q=1&amp;r=%282%29)"
    )
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("x", "https://x.example/a b") == "x"
    assert md_link("x", None) == "x"
    tokens = parse(md_link("x", "https://x.example/p?q=1&r=(2)"))
    link = next(c for c in tokens[1].children or [] if c.type == "link_open")
    assert link.attrs["href"] == "https://x.example/p?q=1&r=%282%29"


def test_team_templates_from_before_keep_rendering(tmp_path: Path) -> None:
    (tmp_path / "old.md.j2").write_text(
        "{{ summary_sentence }} | {{ dur.impact }} | {{ dur.time_to_fix }} | "
        "{{ m.actions_by_status.open }} | {{ at.moment(m.detected_at) }}\n"
        "{% for row in timeline %}{{ row.time }} {{ row.text|md_cell }} {{ row.actor }}\n"
        "{% endfor %}")
    text = render(full_record(), "old", templates_dir=tmp_path, people=PEOPLE)
    assert text.startswith("On 2026-03-14 at 09:00 UTC, an incident affected checkout-api")
    assert "| 9 min | 9 min 45 s | 2 | 09:02" in text
    assert "09:03 On-call acknowledged and started investigating @bob" in text
