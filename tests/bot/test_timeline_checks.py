"""The timeline's checks and milestones over signed HTTP: a submission gets the same workspace
and permission checks as the button that opened it (issue 9, finding 7), entries can mark a
milestone, and 500 entries page within Slack's limits."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.slack.ids import Action, Callback, TimelineField
from bot.slack.meta import Meta
from storage.tables import AuditEvent, Submission
from tests.bot.paging import page_through, section_texts
from tests.bot.test_capture import posted, shortcut
from tests.bot.test_sections import refusals_to
from tests.bot.test_timeline import (
    STARTED,
    add,
    assert_slack_accepted_everything,
    entries,
    form,
    list_text,
    make_postmortem,
    open_timeline,
    push_entry_modal,
    seed,
    submit,
)
from tests.harness import Harness


def forged_entry_view(pm_id: int, entry_id: int | None = None, view_id: str = "VFORGED"
                      ) -> dict[str, Any]:
    """An entry modal as a crafted request would carry it: never opened by the bot."""
    meta = Meta(pm_id=pm_id, channel_id="C0INCIDENT", entry_id=entry_id, extra={"tz": "UTC"})
    return {
        "id": view_id, "hash": "h", "type": "modal", "callback_id": Callback.TIMELINE_ENTRY,
        "private_metadata": meta.dump(), "title": {"type": "plain_text", "text": "x"},
        "blocks": [{"type": "input", "block_id": TimelineField.TIME_TEXT,
                    "element": {"type": "plain_text_input", "action_id": "value"},
                    "label": {"type": "plain_text", "text": "When"}}],
    }


def refused_after_ack(bot: Harness, user_id: str, reason: str, typed: str) -> bool:
    """The entry form closes at its ack and is saved after it (bot/slack/inbox.py): a refusal
    reaches its user privately, with the reason and what they typed, and nothing is waiting
    in the inbox for a retry."""
    with bot.session() as session:
        assert session.exec(select(Submission)).all() == []
    return any(reason in text and "was not saved" in text and f"> {typed}" in text
               for text in refusals_to(bot, user_id))


def audit_kinds(bot: Harness) -> list[str]:
    with bot.session() as session:
        return [e.kind for e in session.exec(select(AuditEvent)).all()]


def test_another_workspace_cannot_add_or_open_the_timeline(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    outsider = bot.slack.for_team("T0OTHER")
    outsider.block_action("U0BOB", Action.OPEN_TIMELINE, value=str(pm_id), message=control,
                          channel_id="C0INCIDENT")
    bot.settle()
    assert bot.emu.calls_to("views.open") == []
    assert any("another workspace" in text for text in refusals_to(bot, "U0BOB"))
    # Bob opened the list in his own workspace; the add submission comes from another one.
    list_id = open_timeline(bot, "U0BOB", pm_id, control)
    entry_view = push_entry_modal(bot, "U0BOB", list_id)
    outsider.view_submission("U0BOB", entry_view, form("14:05", text="From elsewhere"))
    bot.settle()
    assert refused_after_ack(bot, "U0BOB", "another workspace", "From elsewhere")
    assert entries(bot, pm_id) == []
    assert audit_kinds(bot) == ["created"]


def test_a_forged_add_from_outside_the_channel_is_refused(bot: Harness) -> None:
    bot.emu.add_user("U0EVE", "eve", tz="UTC")
    pm_id, _ = make_postmortem(bot)
    bot.slack.view_submission("U0EVE", forged_entry_view(pm_id),
                              form("14:05", text="Eve was here"), apply_response=False)
    bot.settle()
    assert refused_after_ack(bot, "U0EVE", "incident channel", "Eve was here")
    assert entries(bot, pm_id) == []
    assert audit_kinds(bot) == ["created"]


def test_a_forged_edit_of_someone_elses_entry_is_refused(bot: Harness) -> None:
    pm_id, _ = make_postmortem(bot)
    [entry_id] = seed(bot, pm_id, (STARTED, "Alice's entry", "U0ALICE"))
    for client, reason in ((bot.slack, "someone else's entry"),
                           (bot.slack.for_team("T0OTHER"), "another workspace")):
        client.view_submission("U0DAN", forged_entry_view(pm_id, entry_id, view_id=reason),
                               form("14:05", text="Rewritten by Dan"), apply_response=False)
        bot.settle()
        assert refused_after_ack(bot, "U0DAN", reason, "Rewritten by Dan")
    assert [e.text for e in entries(bot, pm_id)] == ["Alice's entry"]
    assert audit_kinds(bot) == ["created"]


def test_a_reaction_from_another_workspace_adds_nothing(bot: Harness) -> None:
    pm_id, _ = make_postmortem(bot)
    message = posted(bot, "U0BOB", "Rolled back")
    bot.slack.for_team("T0OTHER").event({
        "type": "reaction_added", "user": "U0DAN", "reaction": "pushpin",
        "item": {"type": "message", "channel": "C0INCIDENT", "ts": message["ts"]},
    })
    bot.settle()
    assert entries(bot, pm_id) == []


def milestone_block(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b["block_id"] == TimelineField.MILESTONE)


def pick(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def test_an_entry_marks_a_milestone_and_the_list_shows_it(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0ALICE", pm_id, control)
    values = form("14:20", text="Found it: pool exhausted") | {
        TimelineField.MILESTONE: pick("root_cause_identified")}
    assert add(bot, "U0ALICE", list_id, values) == {}
    [entry] = entries(bot, pm_id)
    assert entry.milestone == "root_cause_identified"
    assert "*Root cause identified*" in list_text(bot, list_id)
    with bot.session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "timeline.added")).one()
    assert event.detail["milestone"] == "root_cause_identified"
    # Edited: the mark is preselected and can be cleared.
    edit = push_entry_modal(bot, "U0ALICE", list_id, Action.TIMELINE_EDIT, f"{pm_id}:{entry.id}")
    chosen = milestone_block(bot.emu.views[edit])["element"]["initial_option"]
    assert chosen["value"] == "root_cause_identified"
    submit(bot, "U0ALICE", edit, form("14:20", text="Found it: pool exhausted")
           | {TimelineField.MILESTONE: pick("none")})
    assert [e.milestone for e in entries(bot, pm_id)] == [None]
    body = submit(bot, "U0ALICE", push_entry_modal(bot, "U0ALICE", list_id),
                  form("14:30") | {TimelineField.MILESTONE: pick("lunch")})
    assert body["errors"].keys() == {TimelineField.MILESTONE}
    assert_slack_accepted_everything(bot)


def test_the_shortcut_preselects_the_milestone_its_text_suggests(bot: Harness) -> None:
    pm_id, _ = make_postmortem(bot)
    message = posted(bot, "U0BOB", "Root cause: the connection pool was exhausted")
    shortcut(bot, "U0ALICE", message)
    view = bot.emu.wait_for("views.open")[-1].response["view"]
    chosen = milestone_block(view)["element"]["initial_option"]
    assert chosen["value"] == "root_cause_identified"
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    values = {block: {"value": initial[block]} for block in (
        TimelineField.TIME_TEXT, TimelineField.TEXT, TimelineField.ACTOR)}
    values[TimelineField.MILESTONE] = {"value": chosen["value"]}
    bot.slack.view_submission("U0ALICE", view["id"], values)
    bot.settle()
    assert [e.milestone for e in entries(bot, pm_id)] == ["root_cause_identified"]


def test_five_hundred_entries_page_within_slacks_limits(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    seed(bot, pm_id, *[(STARTED + timedelta(seconds=n), f"Step {n:03d}", "U0ALICE")
                       for n in range(500)])
    list_id = open_timeline(bot, "U0CAROL", pm_id, control)
    seen = page_through(
        bot, "U0CAROL", list_id, action=Action.TIMELINE_PAGE, next_block=TimelineField.NAV_NEXT,
        items=lambda view: [line for text in section_texts(view, "Step")
                            for line in text.split("\n") if line.startswith("Step")],
    )
    assert seen == [f"Step {n:03d}" for n in range(500)]
    assert json.loads(bot.emu.views[list_id]["private_metadata"])["page"] == 24
    assert_slack_accepted_everything(bot)


def test_another_workspace_cannot_turn_the_pages_of_a_list(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    seed(bot, pm_id, *[(STARTED + timedelta(minutes=n), f"Step {n}", "U0ALICE")
                       for n in range(30)])
    list_id = open_timeline(bot, "U0BOB", pm_id, control)
    bot.slack.for_team("T0OTHER").block_action(
        "U0BOB", Action.TIMELINE_PAGE, view=list_id, value=f"{pm_id}:1",
        block_id=TimelineField.NAV_NEXT)
    bot.settle()
    assert bot.emu.calls_to("views.update") == []
    assert any("another workspace" in text for text in refusals_to(bot, "U0BOB"))
