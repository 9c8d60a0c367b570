"""bench/ack.py's apps under test: `postmortem-bot serve` and the floor, as processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.ack_emulator import SECRET, Emulator

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> float:
    """Seconds until GET /healthz answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} not healthy after {timeout} s")


# The process behind each URL `running` yields.
PIDS: dict[str, int] = {}


def code_env(root: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(root)}


# The packages of a checkout that `postmortem-bot` imports from it (PYTHONPATH, not the venv).
CODE_PACKAGES = ("bot", "flows", "storage")


def compile_code(root: Path) -> None:
    """Byte-compile the code under test, as installing the wheel does (the Dockerfile's `pip
    install`). An editable checkout run with PYTHONDONTWRITEBYTECODE=1 (this machine's
    environment) otherwise compiles every module from source at each start, which a deployed
    bot never does; the floor imports only site-packages, compiled when pip installed them.
    Up-to-date .pyc files are left alone, so this costs nothing the second time."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *CODE_PACKAGES], cwd=root,
                   check=True, stdout=subprocess.DEVNULL)


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path,
            root: Path = ROOT) -> Iterator[str]:
    """Start a server process (its port is the last argument); yields its URL."""
    port = args[-1]
    with open(log, "ab") as out:
        process = subprocess.Popen(args, env={**os.environ, **env, **code_env(root)},
                                   stdout=out, stderr=out, cwd=root)
    url = f"http://127.0.0.1:{port}"
    PIDS[url] = process.pid
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()


def cli(*args: str) -> list[str]:
    """`postmortem-bot …`, from whichever code PYTHONPATH names (`code_env`): this checkout or
    --baseline's; the venv (the libraries) is this one's."""
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
            *args]


def serve_command(port: int) -> list[str]:
    return cli("serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port))


def floor_command(port: int, *, storage: bool = False) -> list[str]:
    # The port last: bench/startup.py swaps it for a free one at each start.
    return [sys.executable, str(ROOT / "bench" / "floor.py"), *(["--storage"] if storage else []),
            "--port", str(port)]


def serve_env(emu: Emulator, database_url: str, workdir: Path) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": emu.bot_token, "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emu.api_url, "DATABASE_URL": database_url,
            "POSTMORTEM_ARCHIVE_DIR": str(workdir / "archive"), "SLACK_APP_TOKEN": "",
            "LOG_LEVEL": "ERROR"}
