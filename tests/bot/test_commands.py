"""`/postmortem` over signed HTTP: what the ack answers at once, what comes after it through
the response_url, and re-posting a control message through the outbox. Also `start` from
another workspace, and user text in the control message's notification text."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.slack.ids import Block
from slack_emulator import payloads
from storage.db import session_scope
from storage.tables import Postmortem
from tests.bot.opening import facts, open_postmortem
from tests.bot.test_start import start_values
from tests.harness import Harness


def command(bot: Harness, text: str, user_id: str = "U0ALICE", client: Any = None) -> Any:
    response = (client or bot.slack).command("/postmortem", text=text, user_id=user_id,
                                             channel_id="C0INCIDENT")
    assert response.status == 200
    return response


def responded(bot: Harness) -> list[dict[str, Any]]:
    bot.settle()
    return [c.args for c in bot.emu.calls_to("response_url")]


def test_list_answers_after_the_ack_through_the_response_url(bot: Harness) -> None:
    open_postmortem(bot, facts("Checkout <!channel> down"))
    open_postmortem(bot, facts("Search slow", channel_id="C0ENG"), owner_id="U0BOB")
    open_postmortem(bot, facts("Their own outage", channel_id="C0ENG"), team_id="T0OTHER")
    ack = command(bot, "list")
    assert not ack.body.strip()  # nothing read before the ack
    [answer] = responded(bot)
    assert answer["response_type"] == "ephemeral"
    text = answer["text"]
    assert text.startswith("*Open post-mortems*")
    assert "“Checkout &lt;!channel&gt; down”" in text and "<!channel>" not in text
    assert "Search slow" in text and "<@U0BOB>" in text
    assert "Their own outage" not in text  # another workspace's


def test_list_with_nothing_open(bot: Harness) -> None:
    command(bot, "list")
    assert responded(bot)[0]["text"] == "No open post-mortems. :tada:"


def test_post_puts_a_new_control_message_through_the_outbox(bot: Harness) -> None:
    pm_id, first_ts = open_postmortem(bot)
    command(bot, f"post {pm_id}")
    [answer] = responded(bot)
    assert answer["text"] == f"Posted post-mortem #{pm_id}'s control message."
    posts = [m for m in bot.emu.messages("C0INCIDENT") if m.get("blocks")]
    assert len(posts) == 2
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
    # The thread moves to the new message; it carries the outbox's delivery metadata.
    assert pm.message_ts == posts[-1]["ts"] != first_ts
    assert posts[-1]["metadata"]["event_type"] == "postmortem_bot_delivery"


def test_post_after_slack_refused_tells_why(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot, post=False)
    bot.emu.fail_next("chat.postMessage", "not_in_channel")
    command(bot, f"post {pm_id}")
    [answer] = responded(bot)
    assert "not_in_channel" in answer["text"]
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).message_ts is None


def test_post_usage_unknown_id_and_another_workspace(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    command(bot, "post")
    assert "Usage" in responded(bot)[-1]["text"]
    command(bot, "post 999")
    command(bot, f"post {pm_id}", user_id="U0BOB", client=bot.slack.for_team("T0OTHER"))
    bot.settle()
    told = [m["text"] for m in bot.emu.ephemeral_messages] + [
        c.args["text"] for c in bot.emu.calls_to("chat.postMessage")
        if c.args.get("channel") in ("U0BOB", "U0ALICE")]
    assert any("no post-mortem #999" in t for t in told)
    assert any("another workspace" in t for t in told)
    assert len([m for m in bot.emu.messages("C0INCIDENT") if m.get("blocks")]) == 1


def test_start_opens_its_modal_after_the_ack(bot: Harness) -> None:
    ack = command(bot, "start DB <!here> outage")
    assert not ack.body.strip()
    view = bot.emu.wait_for("views.open")[-1].args["view"]
    title = next(b for b in view["blocks"] if b["block_id"] == Block.TITLE)
    assert title["element"]["initial_value"] == "DB <!here> outage"
    assert "Up to 255 characters." in title["hint"]["text"]


def test_a_guest_from_another_workspace_cannot_start_one_here(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    # A guest of a channel shared with another organisation: our workspace, their user.
    guest = payloads.user_dict("U0GUEST", "T0OTHER")
    body = bot.slack.interaction({
        "type": "view_submission", "team": {"id": "T0001", "domain": "emulator"},
        "user": guest, "api_app_id": bot.emu.app_id, "trigger_id": "1.2.3",
        "view": {**view, "state": {"values": payloads.normalize_values(view, start_values())}},
    }).json()
    assert body["response_action"] == "errors"
    assert "Only members of this workspace" in next(iter(body["errors"].values()))
    bot.settle()
    with bot.session() as session:
        assert session.exec(select(Postmortem)).all() == []


def test_a_title_in_the_control_messages_text_pings_nobody(bot: Harness) -> None:
    view = bot.open_modal("U0ALICE", "start")
    bot.slack.view_submission("U0ALICE", view, start_values(title="<!everyone> checkout down"))
    bot.settle()
    post = bot.emu.wait_for("chat.postMessage",
                            where=lambda c: c.args.get("channel") == "C0INCIDENT")[0]
    assert "<!everyone>" not in post.args["text"]
    assert "&lt;!everyone&gt; checkout down" in post.args["text"]
    with session_scope(bot.deps.sessions) as session:
        assert session.exec(select(Postmortem)).one().message_ts == post.response["ts"]
