"""Adding to the timeline from Slack itself: the message shortcut and the :pushpin: reaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from bot.slack.ids import Callback
from bot.slack.modals.timeline_views import ACTOR, TEXT, TIME_PICK, TIME_TEXT
from flows.timeline import format_in_zone
from storage.tables import AuditEvent
from tests.bot.test_timeline import (
    assert_slack_accepted_everything,
    entries,
    make_postmortem,
    open_timeline,
)
from tests.harness import Harness


def posted(
    bot: Harness,
    user_id: str,
    text: str,
    thread_ts: str | None = None,
    channel_id: str = "C0INCIDENT",
) -> dict[str, Any]:
    ts = bot.emu.post_as_user(channel_id, user_id, text, thread_ts=thread_ts)
    return next(m for m in bot.emu.messages(channel_id) if m["ts"] == ts)


def at(ts: str) -> datetime:
    seconds = Decimal(ts)
    return datetime.fromtimestamp(int(seconds), UTC).replace(
        microsecond=int((seconds - int(seconds)) * 1_000_000)
    )


def shortcut(
    bot: Harness, user_id: str, message: dict[str, Any], channel_id: str = "C0INCIDENT"
) -> None:
    response = bot.slack.message_shortcut(user_id, Callback.SHORTCUT_TIMELINE, channel_id, message)
    assert response.status == 200
    bot.settle()


def pin(
    bot: Harness,
    user_id: str,
    message: dict[str, Any],
    reaction: str = "pushpin",
    channel_id: str = "C0INCIDENT",
) -> None:
    response = bot.slack.event(
        {
            "type": "reaction_added",
            "user": user_id,
            "reaction": reaction,
            "item": {"type": "message", "channel": channel_id, "ts": message["ts"]},
            "item_user": message.get("user"),
        }
    )
    assert response.status == 200
    bot.settle()


def prefilled(view: dict[str, Any]) -> dict[str, Any]:
    """The modal's initial values as the submission would carry them if left untouched."""
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    return {
        TIME_TEXT: {"value": initial[TIME_TEXT]},
        TIME_PICK: {"value": None},
        TEXT: {"value": initial[TEXT]},
        ACTOR: {"value": initial[ACTOR]},
    }


def test_shortcut_opens_a_prefilled_modal_and_saves_the_message(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    message = posted(bot, "U0BOB", "Deploying v1.3 to prod now")
    shortcut(bot, "U0ALICE", message)
    view = bot.emu.wait_for("views.open")[-1].response["view"]
    assert view["callback_id"] == Callback.SHORTCUT_TIMELINE_SUBMIT
    values = prefilled(view)
    # Alice is in Berlin: the message's time as she would type it, to the minute.
    assert values[TIME_TEXT]["value"] == f"{at(message['ts']).astimezone(_berlin()):%Y-%m-%d %H:%M}"
    assert values[TEXT]["value"] == "Deploying v1.3 to prod now"
    assert values[ACTOR]["value"] == "bob"
    response = bot.slack.view_submission("U0ALICE", view["id"], values)
    assert response.status == 200
    bot.settle()
    [entry] = entries(bot, pm_id)
    # The untouched prefilled time keeps the message's exact instant.
    assert entry.occurred_at == at(message["ts"])
    assert (entry.text, entry.actor, entry.source) == (
        "Deploying v1.3 to prod now",
        "bob",
        "message",
    )
    assert entry.message_key == f"C0INCIDENT:{message['ts']}"
    assert entry.link and entry.link.startswith("https://emulator.slack.com/archives/C0INCIDENT/p")
    assert not bot.emu.is_view_open(view["id"])
    note = bot.emu.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == control["ts"]
    )
    assert "<@U0ALICE> added a message to the timeline" in note[-1].args["text"]
    assert_slack_accepted_everything(bot)


def test_shortcut_prefill_is_clipped_but_the_field_still_validates(bot: Harness) -> None:
    make_postmortem(bot)
    message = posted(bot, "U0BOB", "x" * 3500)
    shortcut(bot, "U0CAROL", message)
    view = bot.emu.wait_for("views.open")[-1].response["view"]
    values = prefilled(view)
    assert len(values[TEXT]["value"]) == 3000
    values[TEXT]["value"] = "y" * 3001
    body = bot.slack.view_submission("U0CAROL", view["id"], values).json()
    assert body["response_action"] == "errors" and TEXT in body["errors"]
    assert_slack_accepted_everything(bot)


def test_shortcut_without_a_postmortem_in_the_channel_says_so(bot: Harness) -> None:
    make_postmortem(bot)
    message = posted(bot, "U0BOB", "Unrelated chatter", channel_id="C0ENG")
    shortcut(bot, "U0BOB", message, channel_id="C0ENG")
    assert bot.emu.calls_to("views.open") == []
    [notice] = bot.emu.ephemeral_messages
    assert (notice["channel"], notice["user_to"]) == ("C0ENG", "U0BOB")
    assert "no post-mortem" in notice["text"]


def test_reaction_adds_the_message_directly(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    message = posted(bot, "U0BOB", "PagerDuty alert fired: checkout 5xx")
    pin(bot, "U0CAROL", message)
    [entry] = entries(bot, pm_id)
    assert entry.occurred_at == at(message["ts"])
    assert (entry.text, entry.actor, entry.source, entry.created_by) == (
        "PagerDuty alert fired: checkout 5xx",
        "bob",
        "reaction",
        "U0CAROL",
    )
    assert entry.link and message["ts"].replace(".", "") in entry.link
    note = bot.emu.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == control["ts"]
    )
    assert "<@U0CAROL> pinned a message to the timeline" in note[-1].args["text"]
    with bot.session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.kind == "timeline.added")).one()
    assert_slack_accepted_everything(bot)


def test_reaction_on_a_thread_reply_is_found_in_the_thread(bot: Harness) -> None:
    pm_id, _ = make_postmortem(bot)
    parent = posted(bot, "U0BOB", "Investigating")
    reply = posted(bot, "U0DAN", "Found it: pool exhausted", thread_ts=parent["ts"])
    pin(bot, "U0ALICE", reply)
    [entry] = entries(bot, pm_id)
    assert (entry.text, entry.actor) == ("Found it: pool exhausted", "dan")
    assert bot.emu.calls_to("conversations.replies")


def test_the_same_message_is_only_ever_added_once(bot: Harness) -> None:
    pm_id, _ = make_postmortem(bot)
    message = posted(bot, "U0BOB", "Rolled back to v1.2")
    # The shortcut modal is opened first, then someone pins the message meanwhile.
    shortcut(bot, "U0ALICE", message)
    view = bot.emu.wait_for("views.open")[-1].response["view"]
    pin(bot, "U0CAROL", message)
    pin(bot, "U0DAN", message)
    body = bot.slack.view_submission("U0ALICE", view["id"], prefilled(view)).json()
    assert body["response_action"] == "update"
    assert "already on the timeline" in body["view"]["blocks"][0]["text"]["text"]
    # A later shortcut on it is told at once, without a modal.
    shortcut(bot, "U0BOB", message)
    assert len(bot.emu.calls_to("views.open")) == 1
    assert "already on the timeline" in bot.emu.ephemeral_messages[-1]["text"]
    assert [e.source for e in entries(bot, pm_id)] == ["reaction"]
    assert_slack_accepted_everything(bot)


def test_bots_own_and_other_reactions_are_ignored(bot: Harness) -> None:
    pm_id, _ = make_postmortem(bot)
    message = posted(bot, "U0BOB", "Deploy started")
    pin(bot, bot.emu.bot_user_id, message)
    pin(bot, "U0CAROL", message, reaction="eyes")
    assert entries(bot, pm_id) == []
    pin(bot, "U0CAROL", message, reaction="pushpin::skin-tone-2")
    assert len(entries(bot, pm_id)) == 1


def test_reactions_in_channels_without_a_postmortem_are_ignored(bot: Harness) -> None:
    pm_id, _ = make_postmortem(bot)
    message = posted(bot, "U0BOB", "Lunch?", channel_id="C0ENG")
    pin(bot, "U0CAROL", message, channel_id="C0ENG")
    assert entries(bot, pm_id) == []
    assert bot.emu.ephemeral_messages == []


def test_captured_entries_show_in_the_viewers_zone(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    message = posted(bot, "U0BOB", "Connection pool exhausted")
    pin(bot, "U0CAROL", message)
    list_id = open_timeline(bot, "U0DAN", pm_id, control)
    shown = "\n".join(
        b["text"]["text"] for b in bot.emu.views[list_id]["blocks"] if b["type"] == "section"
    )
    tokyo = format_in_zone(at(message["ts"]), "Asia/Tokyo")
    assert tokyo.endswith("JST") and f"*{tokyo}*" in shown
    assert "pinned by reaction" in shown and "|message>" in shown
    assert_slack_accepted_everything(bot)


def _berlin() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")
