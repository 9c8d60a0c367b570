"""The data lifecycle from the command line, on the demo's complete post-mortem: `export ID`
(everything about it), `delete ID --yes`, `import FILE` (round trip), `forget-user U…`."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from bot.cli import main
from storage.db import make_engine

ALICE = "U0ALICE"  # the demo's author


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["--log-level", "WARNING", "demo", "--out", str(out)]) == 0
    return out / "postmortem.db"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    copy = tmp_path / "bot.db"
    shutil.copy(demo_db, copy)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    yield copy


def export(pm_id: int, out: Path) -> dict[str, Any]:
    assert main(["export", str(pm_id), "--out", str(out)]) == 0
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def rows_of(db: Path, pm_id: int) -> dict[str, int]:
    """Rows per table that belong to post-mortem `pm_id`."""
    engine = make_engine(f"sqlite:///{db}")
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            key = "id" if table == "postmortem" else "postmortem_id"
            if key in columns:
                counts[table] = int(conn.execute(
                    text(f'SELECT COUNT(*) FROM "{table}" WHERE {key} = :id'), {"id": pm_id}
                ).scalar_one())
    engine.dispose()
    return {t: n for t, n in counts.items() if n}


def test_export_delete_import_round_trip(db: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    before = export(1, tmp_path / "before.json")
    # Complete: every part of the published demo post-mortem is in it.
    assert before["postmortem"]["status"] == "published" and before["postmortem"]["summary"]
    assert before["incident"]["title"] == "Checkout API returned 500s"
    for part in ("timeline", "whys", "contributing_factors", "learnings", "action_items",
                 "references", "review_decisions", "documents", "audit"):
        assert before[part], part
    assert "id" not in before["postmortem"] and "postmortem_id" not in before["timeline"][0]

    assert main(["delete", "1"]) == 1  # without --yes, only says what it would do
    assert "--yes" in capsys.readouterr().err
    assert rows_of(db, 1)
    assert main(["delete", "1", "--yes"]) == 0
    assert rows_of(db, 1) == {}
    assert main(["export", "1"]) == 2  # gone: the error names it

    capsys.readouterr()
    assert main(["import", str(tmp_path / "before.json")]) == 0
    new_id = int(capsys.readouterr().out.strip().rsplit("#", 1)[1])
    assert export(new_id, tmp_path / "after.json") == before
    # Importing the same incident twice is refused.
    assert main(["import", str(tmp_path / "before.json")]) == 2


def test_import_into_another_workspace(db: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = export(1, tmp_path / "pm.json")
    assert main(["delete", "1", "--yes"]) == 0
    capsys.readouterr()
    assert main(["import", str(tmp_path / "pm.json"), "--team", "T0NEW"]) == 0
    new_id = int(capsys.readouterr().out.strip().rsplit("#", 1)[1])
    after = export(new_id, tmp_path / "moved.json")
    assert after["postmortem"]["team_id"] == after["incident"]["team_id"] == "T0NEW"
    assert after["timeline"] == before["timeline"]


def test_forget_user_leaves_no_trace_of_their_id_or_name(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert ALICE in dump and "alice" in dump.lower()
    assert main(["forget-user", ALICE]) == 0
    assert "U0FORGOTTEN" in capsys.readouterr().out
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert ALICE not in dump
    assert "alice" not in dump.lower()
    assert "U0FORGOTTEN" in dump and "former member" in dump
    # Other people are untouched, and the erasure is in the audit log.
    assert "U0BOB" in dump
    with sqlite3.connect(db) as conn:
        kinds = [k for (k,) in conn.execute(
            "SELECT kind FROM audit_event WHERE postmortem_id = 1")]
    assert kinds[-1] == "person.forgotten"
