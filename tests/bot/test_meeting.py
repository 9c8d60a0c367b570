"""The review meeting through Slack: the control message's button proposes day 7, the time
goes into the thread mentioning the post-mortem's people, then attendance is recorded and the
document lists the attendees."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.slack.ids import Action, MeetingField
from flows.document.render import render_markdown
from storage.queries import postmortems
from tests.bot.test_action_items import control_message, thread_notes
from tests.bot.test_review_publish import make_postmortem
from tests.harness import Harness


def open_meeting(bot: Harness, pm_id: int, user: str = "U0ALICE") -> dict[str, Any]:
    before = len(bot.emu.calls_to("views.open"))
    bot.slack.block_action(user, Action.OPEN_MEETING, value=str(pm_id),
                           message=control_message(bot, pm_id), channel_id="C0INCIDENT")
    call = bot.emu.wait_for("views.open", count=before + 1)[-1]
    return bot.emu.views[call.response["view"]["id"]]


def initial(view: dict[str, Any], block_id: str) -> Any:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    return element.get("initial_date_time") or element.get("initial_value") \
        or element.get("initial_users")


def test_propose_the_meeting_then_record_who_attended(bot: Harness) -> None:
    pm_id = make_postmortem(bot)  # resolved Saturday 21 Nov 14:50 UTC; Alice is in Berlin
    buttons = control_message(bot, pm_id)["blocks"][-1]["elements"]
    assert Action.OPEN_MEETING in [b.get("action_id") for b in buttons]
    view = open_meeting(bot, pm_id)
    # Day 7 is a Saturday: Monday 30 Nov, 10:00 in Berlin (09:00 UTC), for 60 minutes.
    proposed = initial(view, MeetingField.WHEN)
    assert datetime.fromtimestamp(proposed, UTC) == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert initial(view, MeetingField.MINUTES) == "60"
    bot.slack.view_submission("U0ALICE", view, {
        MeetingField.WHEN: {"value": proposed}, MeetingField.MINUTES: {"value": "45"}})
    bot.settle()
    note = thread_notes(bot, pm_id)[-1]
    assert note.startswith(f"<@U0ALICE> proposed the review meeting for <!date^{proposed}^")
    assert "(45 min): <@U0BOB> <@U0CAROL>, please come." in note
    assert "*Review meeting*" in str(control_message(bot, pm_id)["blocks"])

    # Not an editor: refused before any modal opens.
    before = len(bot.emu.calls_to("views.open"))
    bot.slack.block_action("U0DAN", Action.OPEN_MEETING, value=str(pm_id),
                           message=control_message(bot, pm_id), channel_id="C0INCIDENT")
    bot.settle()
    assert len(bot.emu.calls_to("views.open")) == before

    view = open_meeting(bot, pm_id)
    assert initial(view, MeetingField.MINUTES) == "45"
    bot.slack.view_submission("U0ALICE", view, {
        MeetingField.WHEN: {"value": proposed}, MeetingField.MINUTES: {"value": "45"},
        MeetingField.ATTENDEES: {"value": ["U0ALICE", "U0BOB", "U0DAN"]}})
    bot.settle()
    assert thread_notes(bot, pm_id)[-1] == (
        "<@U0ALICE> recorded who attended the review meeting: <@U0ALICE>, <@U0BOB>, <@U0DAN>.")
    with bot.session() as session:
        record = postmortems.load_record(session, pm_id=pm_id)
    assert record.postmortem.attendees == ["U0ALICE", "U0BOB", "U0DAN"]
    document = render_markdown(record, template="comprehensive", now=bot.clock(),
                               people={"U0ALICE": "alice", "U0BOB": "bob", "U0DAN": "dan"})
    assert "**Attendees:** @alice, @bob, @dan" in document
