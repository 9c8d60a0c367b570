"""`postmortem-bot demo` runs a whole post-mortem offline and writes the published document."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main


def test_demo_publishes_a_complete_document(tmp_path: Path) -> None:
    out = tmp_path / "demo.md"
    assert main(["--log-level", "WARNING", "demo", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Post-Mortem: Checkout API returned 500s")
    assert "**Status:** Published" in text
    assert "Root cause: connection pool exhausted" in text  # pinned message on the timeline
    assert "golden-path Postgres template" in text  # systemic root cause from the 5 Whys
    assert "AI-1" in text or "| 1 |" in text
    assert "Alert fired 3 minutes after the first errors" in text
