"""No broadcast mention ever leaves the bot (issue 9, finding 4): the client that every call goes
through escapes them in `text` and in blocks alike, whatever a builder let through."""

from __future__ import annotations

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
