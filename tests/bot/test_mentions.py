"""No broadcast mention ever leaves the bot (issue 9, finding 4): the client that every call goes
through escapes them in `text` and in blocks alike, whatever a builder let through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.slack.client import defuse, defuse_payload, make_client
from slack_emulator import SlackEmulator

BROADCASTS = ["<!channel>", "<!here>", "<!everyone>", "<!here|here>", "<!subteam^S0123|@oncall>"]


def test_defuse_escapes_every_broadcast_form_and_keeps_the_rest() -> None:
    for mention in BROADCASTS:
        out = defuse(f"ping {mention} now")
        assert "<!" not in out and mention.replace("<", "&lt;").replace(">", "&gt;") in out
    kept = "see <https://example.com|the runbook> and <@U0ALICE>, <!date^1|x>"
    assert defuse(kept) == kept


def test_only_text_slack_reads_as_mrkdwn_is_touched() -> None:
    typed = "DB <!here> outage"
    payload = defuse_payload({"text": typed, "view": {"blocks": [
        {"type": "input", "element": {"type": "plain_text_input", "initial_value": typed}},
        {"type": "header", "text": {"type": "plain_text", "text": typed}},
        {"type": "section", "text": {"type": "mrkdwn", "text": typed}},
    ]}})
    blocks = payload["view"]["blocks"]
    assert payload["text"] == "DB &lt;!here&gt; outage"
    assert blocks[0]["element"]["initial_value"] == typed  # comes back as the user typed it
    assert blocks[1]["text"]["text"] == typed  # plain text notifies nobody
    assert blocks[2]["text"]["text"] == "DB &lt;!here&gt; outage"


def test_posts_and_updates_reach_slack_with_broadcasts_escaped() -> None:
    with SlackEmulator() as emu:
        emu.add_channel("C0ENG", "engineering")
        client = make_client(emu.bot_token, emu.api_url)
        text = "Post-mortem for <!channel> “<!here> down”"
        block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        posted = client.chat_postMessage(channel="C0ENG", text=text, blocks=[block])
        client.chat_update(channel="C0ENG", ts=posted["ts"], text=text, blocks=[block])
        for call in emu.calls_to("chat.postMessage") + emu.calls_to("chat.update"):
            sent = str(call.args)
            assert "<!channel>" not in sent and "<!here>" not in sent
            assert "&lt;!channel&gt;" in sent


EVIL = " <@U0EVIL> <!channel> <!subteam^S0EVIL|@all>"


def test_text_typed_anywhere_in_a_whole_post_mortem_pings_nobody(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's whole post-mortem — every section, review, publish — with mentions typed
    into every free-text field: nothing the bot sends to Slack notifies those people."""
    import bot.demo as demo
    import bot.demo_sections as sections

    typed = sections.plain

    def plain(value: str) -> dict[str, Any]:
        # Not into values that must parse: links, references, numbers, typed times.
        parsed = value.startswith(("http", "INC-")) or value[:1].isdigit()
        return typed(value if parsed else value + EVIL)

    emulators: list[SlackEmulator] = []

    class Recorded(SlackEmulator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            emulators.append(self)

    monkeypatch.setattr(demo, "plain", plain)
    monkeypatch.setattr(sections, "plain", plain)
    monkeypatch.setattr(demo, "SlackEmulator", Recorded)
    assert demo.run_demo(out=str(tmp_path / "demo"), say=lambda _line: None) == 0
    (emu,) = emulators
    sent = [c for c in emu.calls if c.method.startswith(("chat.", "views.", "files."))]
    typed_somewhere = [c for c in sent if "U0EVIL" in json.dumps(c.args)]
    assert len(typed_somewhere) > 20  # the typed text really went out, escaped
    for call in sent:
        for text in notifying_text(call.args):
            for raw in ("<@U0EVIL", "<!channel", "<!subteam^S0EVIL"):
                assert raw not in text, (call.method, raw, text[:300])


def notifying_text(args: dict[str, Any]) -> list[str]:
    """Where Slack turns text into mentions: a message's `text` and every mrkdwn object
    (plain text, headers and input values notify nobody)."""
    found = [str(args["text"])] if isinstance(args.get("text"), str) else []

    def walk(value: Any) -> None:
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)  # blocks and views may arrive as JSON strings
            except ValueError:
                return
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
                found.append(value["text"])
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk({k: v for k, v in args.items() if k != "text"})
    return found
