"""Learnings over signed HTTP: 500 entries page within Slack's limits; another workspace, and
someone outside the incident channel, add nothing."""

from __future__ import annotations

from sqlmodel import select

from bot.slack.forms import base_id
from bot.slack.ids import Action, LearningField
from storage.db import session_scope
from storage.tables import AuditEvent, Learning
from tests.bot.opening import open_postmortem
from tests.bot.paging import page_through, section_texts
from tests.bot.test_sections import open_section, refusals_to, select_value, text_value
from tests.bot.test_timeline import assert_slack_accepted_everything
from tests.harness import Harness

KINDS = ["went_well", "went_poorly", "lucky", "surprise", "lesson_technical", "lesson_process",
         "lesson_culture"]


def stored(bot: Harness) -> list[Learning]:
    with bot.session() as session:
        return list(session.exec(select(Learning)).all())


def test_five_hundred_learnings_page_within_slacks_limits(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    with session_scope(bot.deps.sessions) as session:
        session.add_all(Learning(postmortem_id=pm_id, kind=KINDS[n % 7], text=f"Entry {n:03d}",
                                 created_by="U0ALICE", created_at=bot.clock())
                        for n in range(500))
    view_id = open_section(bot, "U0ALICE", Action.OPEN_LEARNINGS, pm_id)["id"]
    seen = page_through(
        bot, "U0ALICE", view_id, action=Action.LEARNING_PAGE, next_block=LearningField.NAV_NEXT,
        items=lambda view: [t.removeprefix("• ") for t in section_texts(view, "Entry")],
    )
    # Every entry once, grouped by list in the document's order.
    expected = [f"Entry {n:03d}" for kind in range(7) for n in range(500) if n % 7 == kind]
    assert seen == expected
    # A new entry is shown on its page, after the 500.
    body = bot.slack.view_submission("U0ALICE", view_id, bot.typed(view_id, {
        LearningField.KIND: select_value("lesson_culture"),
        LearningField.ITEMS: text_value("Entry new"),
    })).json()
    assert "• Entry new" in str(body["view"]["blocks"])
    assert_slack_accepted_everything(bot)


def test_the_entries_field_states_its_limit_and_refuses_more(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_LEARNINGS, pm_id)
    items = next(b for b in view["blocks"] if base_id(b.get("block_id", "")) == LearningField.ITEMS)
    assert items["element"]["max_length"] == 3000
    assert "Up to 3,000 characters." in items["hint"]["text"]
    body = bot.slack.view_submission("U0ALICE", view, bot.typed(view, {
        LearningField.KIND: select_value("went_well"),
        LearningField.ITEMS: text_value("x\n" * 1501),
    })).json()
    assert body["errors"].keys() == {items["block_id"]}
    assert stored(bot) == []


def test_another_workspace_and_someone_outside_the_channel_add_nothing(bot: Harness) -> None:
    bot.emu.add_user("U0EVE", "eve", tz="UTC")
    pm_id, _ = open_postmortem(bot)
    view = open_section(bot, "U0DAN", Action.OPEN_LEARNINGS, pm_id)
    values = bot.typed(view, {LearningField.KIND: select_value("lucky"),
                              LearningField.ITEMS: text_value("x")})
    outsider = bot.slack.for_team("T0OTHER")
    for client, user_id, words in ((outsider, "U0DAN", "another workspace"),
                                   (bot.slack, "U0EVE", "incident channel")):
        body = client.view_submission(user_id, view, values, apply_response=False).json()
        assert words in body["errors"][LearningField.KIND]
        client.block_action(user_id, Action.OPEN_LEARNINGS, value=str(pm_id),
                            channel_id="C0INCIDENT")
        bot.settle()
        assert any(words in text for text in refusals_to(bot, user_id))
    assert len(bot.emu.calls_to("views.open")) == 1
    assert stored(bot) == []
    with bot.session() as session:
        assert [e.kind for e in session.exec(select(AuditEvent)).all()] == ["created"]


def test_another_workspace_cannot_turn_the_pages(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view_id = open_section(bot, "U0ALICE", Action.OPEN_LEARNINGS, pm_id)["id"]
    bot.slack.for_team("T0OTHER").block_action(
        "U0ALICE", Action.LEARNING_PAGE, view=view_id, value=f"{pm_id}:1")
    bot.settle()
    assert bot.emu.calls_to("views.update") == []
    assert any("another workspace" in text for text in refusals_to(bot, "U0ALICE"))
