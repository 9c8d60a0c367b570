"""The container, without a container engine: build the wheel from what the Dockerfile's builder
copies, install it alone into a fresh virtual environment, and run the Dockerfile's CMD with
docker-compose's environment against PostgreSQL and the Slack emulator until `/healthz`
answers; then the HEALTHCHECK command, then SIGTERM.

Dependencies come from PyPI through pip's cache, so a warm run takes well under a minute.
"""

from __future__ import annotations

import json
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from slack_emulator.server import SlackEmulator
from tests.conftest_pg import create_database, drop_database
from tests.deploy.process import Process, free_port, get, wait_healthy
from tests.deploy.specs import (
    compose_environment,
    compose_service,
    parse_dockerfile,
)

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "docker-compose.yml"


def run(command: list[str], timeout: float = 120) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"


def build_context(builder_copies: list[tuple[list[str], str]], workdir: str, dest: Path) -> None:
    """Lay out what the builder stage COPYs, where it puts it (relative to its WORKDIR)."""
    for sources, target in builder_copies:
        for source in sources:
            origin = REPO / source
            assert origin.exists(), f"the Dockerfile copies {source}, which does not exist"
            place = dest / Path(workdir).joinpath(target).relative_to(workdir)
            if origin.is_dir():
                shutil.copytree(origin, place, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                place.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, place / origin.name)


def check_compose_wiring(image_env: dict[str, str]) -> None:
    """PostgreSQL 16 with a health check; migrate once after it; the bot after both."""
    db, migrate, bot = (compose_service(COMPOSE, name) for name in ("db", "migrate", "bot"))
    assert db["image"].split(":")[1].startswith("16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert migrate["command"] == ["postmortem-bot", "migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # The archive volume is where the image writes published documents.
    (mount,) = [v.split(":")[1] for v in bot["volumes"]]
    assert image_env["POSTMORTEM_ARCHIVE_DIR"].startswith(mount + "/")
    assert bot["ports"][0].endswith(":" + image_env["PORT"])


@pytest.fixture
def database() -> Iterator[str]:
    url = create_database()
    yield url
    drop_database(url)


def test_the_built_wheel_runs_the_containers_command_against_postgresql(
    tmp_path: Path, database: str
) -> None:
    stages = parse_dockerfile(DOCKERFILE)
    builder, runtime = stages[0], stages[-1]
    assert runtime.base == "python:3.11-slim"
    assert runtime.last("USER").split(":")[0] not in ("root", "0"), "the container runs as root"
    assert any("pip wheel" in r and "--no-deps" in r for r in builder.all("RUN"))
    # The runtime stage installs the built wheel only: nothing from the build context.
    assert not runtime.copies(), "the runtime stage copies source; it should install the wheel"
    assert any(f"--from={builder.name}" in c for c in runtime.all("COPY"))
    command = runtime.exec_form("CMD")
    health_options, health_command = runtime.healthcheck()
    assert "/healthz" in " ".join(health_command) and "curl" not in health_command
    image_env = runtime.env()
    assert image_env["PORT"] == runtime.last("EXPOSE").split("/")[0]

    # Build exactly what the builder copies, outside the repository (no build/ left behind).
    context = tmp_path / "context"
    build_context(builder.copies(), builder.last("WORKDIR"), context)
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "-q", "-w", str(wheels), str(context)], timeout=180)
    (wheel,) = wheels.glob("postmortem_bot-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--disable-pip-version-check", "-q", str(wheel)], timeout=300)

    # docker-compose's environment for the bot, with Slack and PostgreSQL swapped for ours.
    signing_secret = secrets.token_hex(16)
    with SlackEmulator() as emu:
        emu.bot_token = f"xoxb-{secrets.randbelow(10**12)}-{secrets.token_hex(12)}"
        compose_env = compose_environment(COMPOSE, "bot", {
            "SLACK_BOT_TOKEN": emu.bot_token, "SLACK_SIGNING_SECRET": signing_secret,
        })
        check_compose_wiring(image_env)
        db_service = compose_service(COMPOSE, "db")["environment"]
        compose_db = make_url(compose_env["DATABASE_URL"])
        assert (compose_db.host, compose_db.username, compose_db.database) == (
            "db", db_service["POSTGRES_USER"], db_service["POSTGRES_DB"]
        ), "the bot's DATABASE_URL does not point at the db service"
        assert compose_env["PORT"] == image_env["PORT"]

        port = free_port()
        app_dir = tmp_path / "app"
        app_dir.mkdir()
        env = {
            **image_env, **compose_env,
            "DATABASE_URL": database,
            "SLACK_API_URL": emu.api_url,
            "PORT": str(port),
            "POSTMORTEM_ARCHIVE_DIR": str(tmp_path / "archive"),
            # Only the fresh environment on PATH: `postmortem-bot` and `python` are its own.
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(app_dir),
        }
        base = f"http://127.0.0.1:{port}"
        process = Process(command, env, cwd=app_dir)
        try:
            wait_healthy(process, f"{base}/healthz")
            check = subprocess.run(health_command, env=env, capture_output=True, text=True,
                                   timeout=float(health_options["timeout"].rstrip("s")) + 5)
            assert check.returncode == 0, f"HEALTHCHECK failed: {check.stderr}"

            ready, body = get(f"{base}/readyz")
            assert ready == 200, body
            assert json.loads(body)["migrations"] == "head"
            metrics = get(f"{base}/metrics")[1].decode()
            assert 'postmortems{status="draft"} 0.0' in metrics
            assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in metrics

            process.popen.send_signal(signal.SIGTERM)
            code = process.popen.wait(timeout=20)
            assert code == 0, f"exit code {code} after SIGTERM:\n{process.output()}"
        finally:
            process.stop()

    output = process.output()
    assert "Traceback" not in output, output
    # LOG_FORMAT=json in compose: every line is one JSON object; Alembic stays quiet.
    records = [json.loads(line) for line in process.lines]
    assert any("listening on" in r["message"] for r in records), output
    assert not any(r["logger"].startswith("alembic") for r in records), output
    for secret in (emu.bot_token, signing_secret):
        assert secret not in output
