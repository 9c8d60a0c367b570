"""Socket Mode (SLACK_APP_TOKEN set): Slack's requests come over the socket, while health,
readiness, metrics and the incident webhooks still answer over HTTP, in the same process."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.commands import HELP
from tests.bot.opening import facts, open_postmortem
from tests.fakes import webhooks as wh
from tests.harness import FakeClock, Harness, running_bot


@pytest.fixture
def socket_bot(sqlite_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[Harness]:
    extra = {"INCIDENT_WEBHOOK_SECRET": wh.INCIDENT_SECRET,
             "INCIDENT_WEBHOOK_DEFAULT_OWNER": "U0ALICE"}
    with running_bot(sqlite_url, clock, tmp_path, socket_mode=True,
                     incidents_channel="C0INCIDENT", extra=extra) as bot:
        bot.emu.add_channel("C0INC42", "inc-2041", members=["U0ALICE"])
        bot.emu.socket_mode.wait_for_connection()
        yield bot


def test_health_and_metrics_answer_beside_the_socket(socket_bot: Harness) -> None:
    bot = socket_bot
    for path in ("/healthz", "/readyz", "/metrics"):
        with urllib.request.urlopen(bot.url + path, timeout=5) as response:
            assert response.status == 200, path
    assert bot.emu.calls_to("apps.connections.open")[0].ok


def test_a_webhook_opens_a_postmortem_beside_the_socket(socket_bot: Harness) -> None:
    bot = socket_bot
    body = wh.dumps(wh.generic_incident())
    response = wh.post(bot.url, "/webhooks/incident", body, wh.incident_headers(
        body, int(bot.clock.now.timestamp()), secret=wh.INCIDENT_SECRET))
    assert response.status == 201, response.text
    assert bot.emu.calls_to("chat.postMessage")[0].ok


def test_slash_commands_are_served_over_the_socket(socket_bot: Harness) -> None:
    bot = socket_bot
    hub = bot.emu.socket_mode
    help_id = hub.push_command("/postmortem", text="help", user_id="U0ALICE",
                               channel_id="C0INCIDENT")
    assert hub.wait_for_ack(help_id)["payload"]["text"] == HELP

    open_postmortem(bot, facts("Checkout down"))
    list_id = hub.push_command("/postmortem", text="list", user_id="U0ALICE",
                               channel_id="C0INCIDENT")
    hub.wait_for_ack(list_id)
    bot.settle()
    [answer] = bot.emu.wait_for("response_url")
    assert "Checkout down" in answer.args["text"]
