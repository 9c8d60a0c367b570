"""Only requests Slack signed get in; signed but malformed ones get a 400; either way nothing
is stored and nothing is sent to Slack (issue 9, findings 1 and 2)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import func, select

from slack_emulator.signing import sign
from storage.tables import AuditEvent, Postmortem, ProcessedKey
from tests.harness import SIGNING_SECRET, Harness

FORM = "application/x-www-form-urlencoded"


def command_body(user: str = "U0ALICE", channel: str = "C0INCIDENT") -> bytes:
    return urlencode({"command": "/postmortem", "text": "list", "user_id": user,
                      "team_id": "T0001", "channel_id": channel,
                      "trigger_id": "1.2.3", "response_url": "https://example.invalid/r"}).encode()


def post(bot: Harness, body: bytes, headers: dict[str, str], content_type: str = FORM) -> Any:
    return bot.slack.send_raw("/slack/events", body, {"Content-Type": content_type, **headers})


def nothing_happened(bot: Harness) -> None:
    bot.settle()
    assert bot.emu.calls == []
    with bot.session() as s:
        for table in (Postmortem, AuditEvent, ProcessedKey):
            assert s.exec(select(func.count()).select_from(table)).one() == 0


@pytest.mark.parametrize("stamp", ["now", "", "1e400", "-5", "12.5", "99999999999999999999"])
def test_a_forged_signature_is_401_whatever_the_timestamp(
    bot: Harness, stamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = command_body()
    value = str(int(time.time())) if stamp == "now" else stamp
    with caplog.at_level(logging.WARNING):
        answer = post(bot, body, {"X-Slack-Request-Timestamp": value,
                                  "X-Slack-Signature": "v0=" + "0" * 64})
    assert answer.status == 401
    refusals = [r for r in caplog.records if "slack request refused" in r.getMessage()]
    assert len(refusals) == 1
    nothing_happened(bot)


def test_an_old_signature_is_a_replay(bot: Harness) -> None:
    body = command_body()
    answer = post(bot, body, sign(SIGNING_SECRET, body, int(time.time()) - 301))
    assert answer.status == 401 and "window" in answer.json()["error"]
    nothing_happened(bot)


def test_a_signature_made_with_another_secret_is_refused(bot: Harness) -> None:
    body = command_body()
    assert post(bot, body, sign("not-the-secret", body, int(time.time()))).status == 401
    nothing_happened(bot)


def test_unsigned_non_utf8_bytes_are_401_not_500(bot: Harness) -> None:
    body = b"payload=\xff\xfe\xfd"
    assert post(bot, body, {"X-Slack-Request-Timestamp": str(int(time.time())),
                            "X-Slack-Signature": "v0=" + "a" * 64}).status == 401
    assert post(bot, body, sign(SIGNING_SECRET, body, int(time.time()))).status == 401
    nothing_happened(bot)


def signed_payload(bot: Harness, payload: str) -> Any:
    body = urlencode({"payload": payload}).encode()
    return post(bot, body, sign(SIGNING_SECRET, body, int(time.time())))


USER = {"id": "U0ALICE", "team_id": "T0001"}
MALFORMED = {
    "invalid JSON": "{not json",
    "a JSON list": "[1, 2, 3]",
    "deeply nested": "[" * 10_000 + "]" * 10_000,
    "nested object": json.dumps({"type": "block_actions", "user": USER,
                                 "actions": [{"action_id": "x", "value": {"a": {"b": {"c": 1}}}}],
                                 "x": json.loads("[" * 40 + "]" * 40)}),
    "no type": json.dumps({"user": USER}),
    "empty actions": json.dumps({"type": "block_actions", "user": USER, "actions": []}),
    "actions without ids": json.dumps({"type": "block_actions", "user": USER, "actions": [{}]}),
    "no user": json.dumps({"type": "block_actions", "actions": [{"action_id": "x"}]}),
    "submission without view": json.dumps({"type": "view_submission", "user": USER}),
    "submission without state": json.dumps({"type": "view_submission", "user": USER,
                                            "view": {"id": "V1"}}),
    "state values not objects": json.dumps({"type": "view_submission", "user": USER,
                                            "view": {"state": {"values": {"b": 1}}}}),
}


@pytest.mark.parametrize("payload", list(MALFORMED.values()), ids=list(MALFORMED))
def test_signed_but_malformed_payloads_are_400(bot: Harness, payload: str) -> None:
    assert signed_payload(bot, payload).status == 400
    nothing_happened(bot)


def test_signed_malformed_events_are_400(bot: Harness) -> None:
    for body in (b"[]", b'{"type": "event_callback"}', b'{"type": "nonsense"}', b"{bad"):
        answer = post(bot, body, sign(SIGNING_SECRET, body, int(time.time())),
                      content_type="application/json")
        assert answer.status == 400, body
    nothing_happened(bot)


def test_a_body_over_the_limit_is_413_before_it_is_read(bot: Harness) -> None:
    body = b"x" * (1024 * 1024 + 1)
    assert post(bot, body, sign(SIGNING_SECRET, body, int(time.time()))).status == 413
    nothing_happened(bot)


def test_a_garbage_content_length_is_refused_not_a_500(bot: Harness) -> None:
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(bot.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    conn.putrequest("POST", "/slack/events")
    conn.putheader("Content-Length", "12abc")
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    assert 400 <= status < 500
    nothing_happened(bot)


def test_a_correctly_signed_command_still_works(bot: Harness) -> None:
    response = bot.slack.command("/postmortem", text="help", user_id="U0ALICE",
                                 channel_id="C0INCIDENT")
    assert response.status == 200 and "/postmortem start" in response.json()["text"]
