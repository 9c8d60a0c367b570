"""`postmortem-bot serve` as a process: request ids reach the listener's lines; SIGTERM exits 0."""

from __future__ import annotations

import json
import secrets
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from slack_emulator.server import SlackEmulator
from slack_emulator.signing import SignedSlackClient, sign
from tests.deploy.process import Process, free_port, wait_healthy

REPO = Path(__file__).resolve().parents[2]


def test_serve_logs_the_request_id_from_the_listener_thread_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    signing_secret = secrets.token_hex(16)
    port = free_port()
    with SlackEmulator() as emu:
        emu.add_user("U0ALICE", "alice", tz="UTC")
        emu.add_channel("C0INCIDENT", "inc-checkout", members=["U0ALICE"])
        env = {
            "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "SLACK_BOT_TOKEN": emu.bot_token, "SLACK_SIGNING_SECRET": signing_secret,
            "SLACK_API_URL": emu.api_url, "PORT": str(port),
        }
        command = [sys.executable, "-m", "bot.cli", "-vv", "--log-format", "json", "serve",
                   "--host", "127.0.0.1", "--no-scheduler"]
        process = Process(command, env, cwd=tmp_path)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(process, f"{base}/healthz")
            slack = SignedSlackClient(base, signing_secret, emu)
            body = urlencode({
                "command": "/postmortem", "text": "start Checkout down", "team_id": emu.team_id,
                "user_id": "U0ALICE", "channel_id": "C0INCIDENT",
                "trigger_id": emu.new_trigger_id(), "response_url": emu.new_response_url(),
            }).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "X-Request-Id": "req-from-the-lb-1",
                       **sign(signing_secret, body, int(time.time()))}
            answer = slack.send_raw("/slack/events", body, headers)
            assert answer.status == 200, answer.body
            assert answer.headers["X-Request-Id"] == "req-from-the-lb-1"
            emu.wait_for("views.open")  # called by the listener after the ack

            process.popen.send_signal(signal.SIGTERM)
            assert process.popen.wait(timeout=20) == 0, process.output()
        finally:
            process.stop()
    records = [json.loads(line) for line in process.lines]
    opened = [r for r in records
              if r["logger"].startswith("slack_sdk") and "/api/views.open" in r["message"]]
    assert opened, process.output()
    assert all(r.get("request_id") == "req-from-the-lb-1" for r in opened)
    assert all(r.get("team_id") == emu.team_id for r in opened)
    assert records[-1]["message"] == "stopped"
    assert emu.bot_token not in "\n".join(process.lines)
