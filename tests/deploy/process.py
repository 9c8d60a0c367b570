"""A bot process started as an operator would, watched from outside over HTTP."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT = 40.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """The bot under test; its combined output is collected for assertions and failures."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.popen = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        if self.popen.poll() is not None:
            self._reader.join(timeout=2)  # the rest of what it wrote before exiting
        return "\n".join(self.lines) or "(no output)"

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_healthy(process: Process, url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            pytest.fail(f"the bot exited with {process.popen.returncode}:\n{process.output()}")
        try:
            status, body = get(url)
            if status == 200:
                return
            last = f"{status} {body!r}"
        except OSError as err:
            last = str(err)
        time.sleep(0.2)  # polling a real subprocess: there is no clock to inject
    pytest.fail(f"{url} not 200 after {START_TIMEOUT:.0f}s ({last}):\n{process.output()}")
