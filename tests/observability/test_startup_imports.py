"""What `serve` imports before it answers: the libraries of work it never does at startup
(rendering documents, reading a policy file, migrating) are loaded by their first use, and
a SQLite bot never loads the PostgreSQL dialect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVE_PATH = "bot.cli, bot.deps, bot.jobs.scheduler, bot.serving, bot.slack.app"
# Each costs `serve` milliseconds to start and is not needed to answer Slack.
UNLOADED = (
    "jinja2", "yaml", "alembic",
    # Only PostgreSQL's engine loads it (storage/tables.py: the open index's WHERE; the
    # queries import it on their PostgreSQL branch).
    "sqlalchemy.dialects.postgresql",
)


def loaded_at_startup(modules: tuple[str, ...]) -> list[str]:
    code = (f"import json, sys, {SERVE_PATH}; "
            f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return list(json.loads(out))


def test_the_serve_path_leaves_these_libraries_unloaded() -> None:
    assert loaded_at_startup(UNLOADED) == []


def test_no_table_models_validation_schema_is_built_at_startup() -> None:
    """Each table's model is a TableModel (storage/types.py): pydantic builds its schema by
    the first validation (the CLI's import and export), not when `serve` imports it."""
    code = (f"import json, {SERVE_PATH}; from sqlmodel import SQLModel; "
            "classes = [m.class_ for m in SQLModel._sa_registry.mappers]; "
            "print(json.dumps([len(classes), "
            "sorted(c.__name__ for c in classes if c.__pydantic_complete__)]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    count, built = json.loads(out)
    assert count >= 21
    assert built == []


# `serve --no-scheduler` up to the point it starts serving, then the modules it has loaded.
NO_SCHEDULER = """
import json, sys
import bot.serving
from bot.cli import main
def stop(*_, **__):
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "apscheduler"
                            or m in ("bot.jobs.scheduler", "bot.jobs.sweep"))))
    raise SystemExit(0)
bot.serving.build_serving = stop
main(["serve", "--no-scheduler"])
"""


def test_serve_without_the_scheduler_never_loads_apscheduler(tmp_path: Path) -> None:
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "LOG_LEVEL": "ERROR"}
    out = subprocess.run([sys.executable, "-c", NO_SCHEDULER], cwd=tmp_path, env=env,
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(out) == []
