"""Inputs that add something start empty after each add, as Slack shows them.

Slack keeps what was typed in an input whose block_id and action_id an updated view repeats
(the emulator does too): the next why used to open holding the last answer, the learnings box
its entries, the link form its link, each one Save away from a copy.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.slack.forms import base_id
from bot.slack.ids import Action, ReferenceField
from bot.slack.modals import learnings, whys
from storage.tables import Learning, Reference, Why
from tests.bot.opening import open_postmortem
from tests.bot.test_more_sections import open_more, reference
from tests.bot.test_review_publish import make_postmortem
from tests.bot.test_sections import open_section, select_value, text_value, whys_values
from tests.harness import Harness


def held(bot: Harness, view_id: str) -> dict[str, Any]:
    """What the modal's inputs hold now, by base id: what a Save would send untouched."""
    values = bot.emu.views[view_id]["state"]["values"]
    return {base_id(block): entry["value"].get("value") or entry["value"].get("selected_option")
            for block, entry in values.items()}


def rows(bot: Harness, table: Any, pm_id: int) -> list[Any]:
    with bot.session() as session:
        return list(session.exec(select(table).where(table.postmortem_id == pm_id)
                                 .order_by(table.id)).all())


def test_the_next_why_starts_empty_and_a_bare_save_adds_no_copy(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view_id = open_section(bot, "U0ALICE", Action.OPEN_WHYS, pm_id)["id"]
    bot.slack.view_submission("U0ALICE", view_id, bot.typed(view_id, {
        whys.QUESTION: text_value("Why was the pool exhausted"),
        whys.ANSWER: text_value("The deploy doubled connections")}))
    bot.settle()
    assert whys.ANSWER not in held(bot, view_id) and whys.QUESTION not in held(bot, view_id)
    # The root cause typed above it stays; Save with nothing else typed adds no second why.
    bot.slack.view_submission("U0ALICE", view_id, bot.typed(view_id, {
        whys.ROOT_CAUSE: text_value("No pool budgets")}))
    bot.settle()
    [why] = rows(bot, Why, pm_id)
    assert (why.question, why.answer) == ("Why was the pool exhausted?",
                                          "The deploy doubled connections")


def test_a_question_without_an_answer_is_refused_at_the_answer(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view = open_section(bot, "U0ALICE", Action.OPEN_WHYS, pm_id)
    values = {**whys_values(None), whys.QUESTION: text_value("Why did it fail?")}
    body = bot.slack.view_submission("U0ALICE", view, bot.typed(view, values)).json()
    assert [base_id(b) for b in body["errors"]] == [whys.ANSWER]
    assert rows(bot, Why, pm_id) == []


def test_learnings_start_empty_after_an_add(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view_id = open_section(bot, "U0ALICE", Action.OPEN_LEARNINGS, pm_id)["id"]
    bot.slack.view_submission("U0ALICE", view_id, bot.typed(view_id, {
        learnings.KIND: select_value("went_well"), learnings.ITEMS: text_value("Fast rollback")}))
    bot.settle()
    assert learnings.ITEMS not in held(bot, view_id)
    body = bot.slack.view_submission("U0ALICE", view_id, {}).json()
    assert [base_id(b) for b in body["errors"]] == [learnings.ITEMS]
    assert [r.text for r in rows(bot, Learning, pm_id)] == ["Fast rollback"]


def test_the_link_form_starts_empty_after_an_add_and_keeps_typing_across_redraws(
    bot: Harness
) -> None:
    pm_id, _ = open_postmortem(bot)
    view_id = open_more(bot, "U0ALICE", pm_id, "references")["id"]
    bot.slack.view_submission("U0ALICE", view_id, bot.typed(
        view_id, reference("logs", "Errors", "https://logs.example.com/1")))
    bot.settle()
    assert held(bot, view_id).keys() == {ReferenceField.KIND}
    # A link refused at its field keeps what was typed, through a redraw (a delete) too.
    typed = reference("logs", "Half done", "ftp://nope")
    body = bot.slack.view_submission("U0ALICE", view_id, bot.typed(view_id, typed)).json()
    assert [base_id(b) for b in body["errors"]] == [ReferenceField.URL]
    [first] = rows(bot, Reference, pm_id)
    bot.slack.block_action("U0ALICE", Action.REFERENCE_DELETE, value=f"{pm_id}:{first.id}",
                           view=view_id)
    bot.settle()
    assert held(bot, view_id)[ReferenceField.LABEL] == "Half done"
    assert rows(bot, Reference, pm_id) == []
