"""Commands are quiet by default; -v/-vv/--log-level/--log-format; context on every line."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.observability.logs import (
    configure_logging,
    current_log_context,
    log_context,
)
from bot.slack.background import Background
from storage.db import make_engine, migrate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty SQLite database named by DATABASE_URL; no .env from the repository."""
    monkeypatch.chdir(tmp_path)
    for name in ("LOG_FORMAT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_demo_prints_its_story_and_nothing_from_libraries(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("1. alice types `/postmortem start")
    assert "INFO" not in result.stdout and "alembic" not in result.stdout
    assert (out / "comprehensive.md").read_text().startswith("# Post-Mortem: Checkout API")


def test_migrate_says_one_line_by_default(
    fresh_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "database schema is up to date\n"
    assert captured.err == ""


@pytest.mark.parametrize("argv", [["-v", "migrate"], ["migrate", "-v"],
                                  ["--log-level", "info", "migrate"]])
def test_v_or_log_level_info_shows_librarys_info(
    fresh_db: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "INFO alembic.runtime.migration: Running upgrade  -> 0001" in err
    assert " DEBUG " not in err


def test_vv_shows_debug(fresh_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-vv", "migrate"]) == 0
    assert " DEBUG " in capsys.readouterr().err


def test_the_bots_own_info_shows_by_default_and_not_at_log_level_warning() -> None:
    for level, expected in ((None, ["said", "warned"]), ("WARNING", ["warned"])):
        stream = io.StringIO()
        setup = configure_logging(level=level, stream=stream)
        try:
            logging.getLogger("bot.anything").info("said")
            logging.getLogger("bot.anything").warning("warned")
            logging.getLogger("waitress").info("a library's info")
        finally:
            setup.restore()
        assert [line.rsplit(": ", 1)[1] for line in stream.getvalue().splitlines()] == expected


def test_json_lines_from_env_or_option(
    fresh_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert main(["-v", "migrate"]) == 0
    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert lines and all(set(r) >= {"time", "level", "logger", "message"} for r in records)
    upgrade = next(r for r in records if "Running upgrade" in r["message"])
    assert upgrade["level"] == "INFO" and upgrade["logger"] == "alembic.runtime.migration"
    assert upgrade["time"].endswith("+00:00")

    monkeypatch.delenv("LOG_FORMAT")
    Path(fresh_db.removeprefix("sqlite:///")).unlink()
    assert main(["--log-format", "json", "-v", "migrate"]) == 0
    assert all(json.loads(line) for line in capsys.readouterr().err.splitlines())


def test_a_wrong_log_format_is_a_one_line_error(
    fresh_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "xml")
    assert main(["migrate"]) == 2
    assert capsys.readouterr().err == "postmortem-bot: LOG_FORMAT must be text or json, not 'xml'\n"


def test_alembic_leaves_our_logging_as_it_was(tmp_path: Path) -> None:
    stream = io.StringIO()
    setup = configure_logging(1, stream=stream)
    try:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
        migrate(engine)
        engine.dispose()
        logging.getLogger("bot.after").info("still logging after the migration")
        assert root.handlers == handlers and root.level == level
        assert not logging.getLogger("bot.after").disabled
    finally:
        setup.restore()
    text = stream.getvalue()
    assert "Running upgrade" in text
    assert text.rstrip().endswith("INFO bot.after: still logging after the migration")


def test_main_leaves_logging_as_it_found_it(fresh_db: str) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level, logging.getLogger("bot").level)
    assert main(["-vv", "--log-format", "json", "migrate"]) == 0
    assert (list(root.handlers), root.level, logging.getLogger("bot").level) == before


def test_context_fields_on_every_line_in_both_formats() -> None:
    for fmt in ("text", "json"):
        stream = io.StringIO()
        setup = configure_logging(stream=stream, fmt=fmt)
        try:
            log = logging.getLogger("bot.test")
            with log_context(request_id="req-1", team_id="T0001"):
                with log_context(postmortem_id=42):
                    log.info("inside")
                log.info("outer")
            log.info("outside")
        finally:
            setup.restore()
        lines = stream.getvalue().splitlines()
        if fmt == "json":
            inside, outer, outside = (json.loads(line) for line in lines)
            assert (inside["request_id"], inside["team_id"], inside["postmortem_id"]) == (
                "req-1", "T0001", 42)
            assert "postmortem_id" not in outer and outer["request_id"] == "req-1"
            assert not {"request_id", "team_id", "postmortem_id"} & set(outside)
        else:
            assert lines[0].endswith("inside [request_id=req-1 team_id=T0001 postmortem_id=42]")
            assert lines[1].endswith("outer [request_id=req-1 team_id=T0001]")
            assert lines[2].endswith("INFO bot.test: outside")


def test_explicit_extra_wins_over_the_context() -> None:
    stream = io.StringIO()
    setup = configure_logging(stream=stream, fmt="json")
    try:
        with log_context(postmortem_id=1):
            logging.getLogger("bot.test").info("about 7", extra={"postmortem_id": 7})
    finally:
        setup.restore()
    assert json.loads(stream.getvalue())["postmortem_id"] == 7


def test_unknown_context_fields_are_refused() -> None:
    with pytest.raises(TypeError, match="request_id"), log_context(token="xoxb-1"):
        pass


def test_after_ack_work_keeps_the_requests_context() -> None:
    pool, seen = Background(workers=1), []
    try:
        with log_context(request_id="req-9", team_id="T9"):
            pool.submit(lambda: seen.append(current_log_context()))
        pool.submit(lambda: seen.append(current_log_context()))
        assert pool.wait_idle(timeout=5)
        assert seen == [{"request_id": "req-9", "team_id": "T9"}, {}]
    finally:
        pool.shutdown()


def test_exceptions_are_one_json_line_with_their_traceback() -> None:
    stream = io.StringIO()
    setup = configure_logging(stream=stream, fmt="json")
    try:
        try:
            raise RuntimeError("database went away")
        except RuntimeError:
            logging.getLogger("bot.test").exception("sweep failed")
    finally:
        setup.restore()
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["message"] == "sweep failed"
    assert "Traceback" in record["exception"]
    assert "RuntimeError: database went away" in record["exception"]
