"""`postmortem-bot demo --out DIR`: the whole product offline, then a lint of what it wrote."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from bot.cli import main
from bot.demo_inputs import CHANNELS, TEAM
from flows.document import list_templates
from flows.document.escape import md_inline
from flows.durations import incident_durations
from storage.db import make_engine, session_factory, session_scope
from storage.queries import postmortems

KNOWN_IDS = [u for u, _, _ in TEAM] + list(CHANNELS)
SLACK_ID = re.compile(r"\b[UWCG][A-Z0-9]{8,}\b|\b[UWCG]0[A-Z0-9]{2,}\b")
DURATION = re.compile(r"(?<!< )\b\d+ (?:d|h|min|s)(?: \d+ (?:h|min|s))?\b")
EMPTY = ("Not recorded", "not recorded", "were recorded", "was recorded", "Nothing was",
         "None can be computed", "Not answered", "Not assigned", "No open")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("demo")
    assert main(["--log-level", "WARNING", "demo", "--out", str(out)]) == 0
    yield out


@pytest.fixture(scope="module")
def docs(demo_dir: Path) -> dict[str, str]:
    return {t: (demo_dir / f"{t}.md").read_text(encoding="utf-8") for t in list_templates()}


def visible_text(markdown: str) -> str:
    """What a reader sees: text and code, not link destinations (Slack permalinks hold ids)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    parts = [t.content for t in tokens if t.type in ("fence", "code_block")]
    for t in tokens:
        parts += [c.content for c in t.children or [] if c.type in ("text", "code_inline")]
    return "\n".join(parts)


def test_demo_keeps_the_database_and_writes_every_template(demo_dir: Path) -> None:
    assert (demo_dir / "postmortem.db").is_file()
    assert sorted(p.stem for p in demo_dir.glob("*.md")) == list_templates()
    text = (demo_dir / "comprehensive.md").read_text()
    assert text.startswith("# Post-Mortem: Checkout API returned 500s")
    assert "**Status:** Published" in text
    assert "Root cause: connection pool exhausted" in text  # pinned message on the timeline
    assert "golden-path Postgres template" in text  # systemic root cause from the 5 Whys
    assert "Alert fired 3 minutes after the first errors" in text
    # The published version is in the archive, and says where.
    [archived] = (demo_dir / "archive").iterdir()
    assert f"**Archive Location:** {md_inline(str(archived))}\n" in archived.read_text()


@pytest.mark.parametrize("template", ["bilko", "comprehensive", "enterprise", "lean", "tz010"])
def test_document_lint(docs: dict[str, str], template: str) -> None:
    text = docs[template]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    types = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert "html_block" not in types and "html_inline" not in types
    seen = visible_text(text)
    # Names, not ids.
    assert SLACK_ID.findall(seen) == []
    assert not any(i in seen for i in KNOWN_IDS)
    # The demo fills every section its seed has: nothing says it is empty.
    assert [e for e in EMPTY if e in text] == []


def test_one_consistent_set_of_durations(docs: dict[str, str], demo_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{demo_dir / 'postmortem.db'}")
    try:
        with session_scope(session_factory(engine)) as session:
            record = postmortems.load_record(session, pm_id=1)
    finally:
        engine.dispose()
    durations = incident_durations(record)
    figures = {d.text for d in durations.present()}
    assert len(durations.present()) == 6
    assert [d.text for d in durations.present()] == [
        "31 min", "3 min", "2 min", "13 min", "28 min", "49 min"]
    for template, text in docs.items():
        # Every figure is one of the defined durations (or the error budget's own window)...
        assert set(DURATION.findall(text)) <= figures | {"43 min 12 s"}, template
        # ...and every document states each definition, with the same value.
        for d in durations.present():
            assert f"**{d.label}:** {d.text}, {d.definition}" in text, (template, d.label)


def test_render_works_on_the_demo_database_with_stored_names(
    demo_dir: Path, docs: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_dir / 'postmortem.db'}")
    for template in ("comprehensive", "enterprise"):
        assert main(["--log-level", "WARNING", "render", "1", "--template", template]) == 0
        rendered = capsys.readouterr().out
        assert "@alice" in rendered and "U0ALICE" not in visible_text(rendered)
        same = [line for line in rendered.splitlines() if "This rendering" not in line]
        kept = [line for line in docs[template].splitlines() if "This rendering" not in line]
        assert same == kept
