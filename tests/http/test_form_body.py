"""Slack's form bodies decode exactly as the standard library decodes them, only faster."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.http.form_body import parse_form

# Escapes valid and not, of ASCII and of UTF-8 bytes, a '%' that is text, '+' for a space,
# backslashes raw and escaped (the codec that decodes the escapes reads backslashes).
PIECES = [*"ab=&+ %2Z9\"{}:,", "%25", "%2B", "%2b", "%C3%A9", "%C3", "%zz", "%%32", "%2", "&&",
          "%E2%82%AC", "%f0%9f%98%80", "%FF", "é", "\\", "%5C", "%5Cx41", "\\x4", "\\n",
          "%5cu00e9", "%0A", "%00"]


def test_any_body_decodes_as_parse_qsl_decodes_it() -> None:
    rnd = random.Random(7)
    for _ in range(20_000):
        text = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 14)))
        assert parse_form(text) == parse_qsl(text, keep_blank_values=True), text


@pytest.mark.parametrize("payload", [
    '{"type":"view_submission","view":{"state":{"values":{"b":{"a":{"value":"50% off: ok?"}}}}}}',
    '{"text":"Café – ünïcödé ✓ 🚒","plus":"a+b","amp":"x&y=z"}',
])
def test_a_slack_payload_comes_back_as_it_was_sent(payload: str) -> None:
    body = urlencode({"payload": payload, "token": "", "team_id": "T1"})
    assert dict(parse_form(body)) == {"payload": payload, "token": "", "team_id": "T1"}
