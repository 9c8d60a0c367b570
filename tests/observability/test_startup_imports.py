"""What `serve` imports before it answers: the libraries of work it never does at startup
(rendering documents, reading a policy file, migrating) are loaded by their first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_serve_path_leaves_jinja2_yaml_and_alembic_unloaded() -> None:
    code = ("import sys, bot.cli, bot.deps, bot.jobs.scheduler, bot.serving, bot.slack.app; "
            "print(sorted(m for m in ('jinja2', 'yaml', 'alembic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"
