"""Finishing a post-mortem through the UI: published, the day-30 question answered, the last
action item done → Closed, noted in the thread, the control message redrawn; a new item opens
it again. Won't do asks for a reason wherever it is chosen."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.jobs.sweep import run_sweep
from bot.slack import action_item_news as news
from bot.slack.ids import Action, ActionItemField
from bot.slack.reminders.dm_views import status_value
from storage.tables import ActionItem, AuditEvent, Postmortem, Reminder
from tests.bot.test_action_items import (
    TITLE,
    add_item,
    control_message,
    dms,
    item_values,
    open_list,
    push_item_modal,
    thread_notes,
)
from tests.bot.test_action_items_dm import click_in_dm
from tests.bot.test_review_publish import make_postmortem, open_checklist
from tests.harness import Harness


def publish(bot: Harness, pm_id: int) -> None:
    """Submitted for review and approved by both reviewers, as people do it in Slack."""
    bot.slack.view_submission("U0ALICE", open_checklist(bot, pm_id), {})
    bot.settle()
    for reviewer in ("U0BOB", "U0CAROL"):
        bot.slack.block_action(reviewer, Action.REVIEW_APPROVE, value=str(pm_id),
                               channel_id=bot.emu.im_channel(reviewer))
        bot.settle()
    assert the_pm(bot, pm_id).status == "published"


def the_pm(bot: Harness, pm_id: int) -> Postmortem:
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        return pm


def items(bot: Harness) -> list[ActionItem]:
    with bot.session() as session:
        return list(session.exec(select(ActionItem).order_by(ActionItem.number)).all())


def edit_item(bot: Harness, pm_id: int, item: ActionItem, **values: Any) -> Any:
    """Alice edits `item` in the list modal; the submission's answer."""
    form = push_item_modal(bot, "U0ALICE", open_list(bot, "U0ALICE", pm_id),
                           Action.ACTION_ITEM_EDIT, f"{pm_id}:{item.id}")
    fields = item_values(title=item.title, owner=item.owner_id, priority=item.priority,
                         category=item.category, due=item.due_on,
                         criteria=item.success_criteria, **values)
    response = bot.slack.view_submission("U0ALICE", form, fields)
    bot.settle()
    return response


def answer_day30(bot: Harness, pm_id: int) -> None:
    """Thirty days on, the sweep asks the owner; she answers "No recurrence"."""
    bot.clock.advance(days=30, hours=1)
    run_sweep(bot.deps, bot.client)
    question = next(m for m in reversed(dms(bot, "U0ALICE")) if Action.FOLLOWUP_NO_RECURRENCE
                    in str(m.get("blocks")))
    button = next(e for b in question["blocks"] if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"] == Action.FOLLOWUP_NO_RECURRENCE)
    click_in_dm(bot, "U0ALICE", Action.FOLLOWUP_NO_RECURRENCE, button["value"], question)


def notes(bot: Harness, pm_id: int) -> list[str]:
    """The thread, once notes Slack rate-limited in a burst were sent again (the sweep does
    that a minute later): the order of the last few may differ from the order written."""
    bot.clock.advance(minutes=2)
    run_sweep(bot.deps, bot.client)
    return thread_notes(bot, pm_id)


def events(bot: Harness, kind: str) -> list[AuditEvent]:
    with bot.session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.kind == kind)).all())


def test_the_last_item_done_closes_the_postmortem(bot: Harness) -> None:
    pm_id = make_postmortem(bot)  # AI-1, owned by dan
    add_item(bot, pm_id, owner="U0BOB")  # AI-2, owned by bob: he gets its DM
    publish(bot, pm_id)
    first, second = items(bot)
    edit_item(bot, pm_id, first, status="done")
    assert the_pm(bot, pm_id).status == "published"  # AI-2 is open, day 30 not answered

    answer_day30(bot, pm_id)
    assert the_pm(bot, pm_id).status == "published"  # AI-2 is still open
    assert any("answered the day-30 check-in" in n for n in notes(bot, pm_id)[-2:])

    assignment = next(m for m in dms(bot, "U0BOB") if "You own AI-2" in m["text"])
    click_in_dm(bot, "U0BOB", Action.ACTION_ITEM_STATUS, status_value(second, "done"),
                assignment)
    pm = the_pm(bot, pm_id)
    assert (pm.status, pm.closed_at) == ("closed", bot.clock.now)
    last = notes(bot, pm_id)[-2:]
    assert news.CLOSED_NOTE in last
    assert any(n.startswith("<@U0BOB> marked *AI-2* done") for n in last)
    assert "*Status*\\nClosed" in str(control_message(bot, pm_id)["blocks"])
    [closed] = events(bot, "closed")
    assert closed.actor_id == "U0BOB"
    with bot.session() as session:
        left = session.exec(select(Reminder).where(Reminder.postmortem_id == pm_id,
                                                   Reminder.kind == "follow_up",
                                                   Reminder.status == "pending")).all()
    assert left == []

    # New work on a Closed post-mortem opens it again, until that work is finished too.
    add_item(bot, pm_id, title=f"{TITLE} in the EU region", owner="U0CAROL")
    assert (the_pm(bot, pm_id).status, the_pm(bot, pm_id).closed_at) == ("published", None)
    assert news.REOPENED_NOTE.format(what="*AI-3* was added") in notes(bot, pm_id)[-3:]
    assert "*Status*\\nPublished" in str(control_message(bot, pm_id)["blocks"])
    third = items(bot)[-1]
    edit_item(bot, pm_id, third, status="wont_do", reason="Only one region uses the pool")
    assert the_pm(bot, pm_id).status == "closed"
    assert news.CLOSED_NOTE in notes(bot, pm_id)[-2:]


def test_the_day30_answer_closes_when_the_items_are_finished(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    publish(bot, pm_id)
    [item] = items(bot)
    edit_item(bot, pm_id, item, status="done")
    assert the_pm(bot, pm_id).status == "published"
    answer_day30(bot, pm_id)
    assert the_pm(bot, pm_id).status == "closed"
    assert set(notes(bot, pm_id)[-2:]) == {
        "<@U0ALICE> answered the day-30 check-in: :white_check_mark: no recurrence — the "
        "actions held.",
        news.CLOSED_NOTE,
    }
    # The question in the DM is replaced by the answer.
    answered = [m for m in dms(bot, "U0ALICE") if "answered the day-30" in m["text"]]
    assert answered and Action.FOLLOWUP_RECURRED not in str(answered[0]["blocks"])


def test_a_draft_is_never_closed(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    [item] = items(bot)
    edit_item(bot, pm_id, item, status="done")
    assert the_pm(bot, pm_id).status == "draft"
    assert events(bot, "closed") == []


def test_wont_do_in_the_list_needs_a_reason(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    [item] = items(bot)
    body = edit_item(bot, pm_id, item, status="wont_do").json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [ActionItemField.WONT_DO_REASON]
    assert "Say why" in body["errors"][ActionItemField.WONT_DO_REASON]
    assert items(bot)[0].status == "open"

    edit_item(bot, pm_id, item, status="wont_do", reason="The pool manager replaces the pool")
    [item] = items(bot)
    assert (item.status, item.wont_do_reason) == ("wont_do", "The pool manager replaces the pool")
    assert thread_notes(bot, pm_id)[-1] == (
        "<@U0ALICE> updated *AI-1*: status → won't do — why: “The pool manager replaces the "
        "pool”"
    )
    [event] = events(bot, "action_item.updated")
    assert event.detail["reason"] == "The pool manager replaces the pool"
    # Shown in the list beside the item; reopening clears it.
    assert "The pool manager replaces the pool" in str(open_list(bot, "U0ALICE", pm_id)["blocks"])
    edit_item(bot, pm_id, items(bot)[0], status="open")
    assert (items(bot)[0].status, items(bot)[0].wont_do_reason) == ("open", None)


def test_wont_do_from_the_dm_asks_why_in_a_modal(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    add_item(bot, pm_id, owner="U0BOB")
    second = items(bot)[-1]
    dm = next(m for m in dms(bot, "U0BOB") if "You own AI-2" in m["text"])
    bot.slack.block_action("U0BOB", Action.ACTION_ITEM_STATUS,
                           value=status_value(second, "wont_do"), message=dm,
                           channel_id=bot.emu.im_channel("U0BOB"))
    call = bot.emu.wait_for("views.open", where=lambda c: "Won't do" in str(c.args))[-1]
    modal = bot.emu.views[call.response["view"]["id"]]
    reason = next(b for b in modal["blocks"] if b["type"] == "input")
    assert reason["element"]["max_length"] == 500 and "500 characters" in reason["hint"]["text"]
    assert items(bot)[-1].status == "open"  # nothing changes before the reason is given

    empty = bot.slack.view_submission("U0BOB", modal, {reason["block_id"]: {"value": "  "}})
    assert "Say why" in empty.json()["errors"][reason["block_id"]]
    bot.slack.view_submission("U0BOB", modal, {reason["block_id"]: {"value": "Duplicate of AI-1"}})
    bot.settle()
    assert (items(bot)[-1].status, items(bot)[-1].wont_do_reason) == (
        "wont_do", "Duplicate of AI-1"
    )
    assert thread_notes(bot, pm_id)[-1] == (
        f"<@U0BOB> marked *AI-2* won't do — “{TITLE}” — why: “Duplicate of AI-1”"
    )
    redrawn = next(m for m in dms(bot, "U0BOB") if m["ts"] == dm["ts"])
    assert "Duplicate of AI-1" in str(redrawn["blocks"]) and "Won't do" in redrawn["text"]
    [event] = events(bot, "action_item.status")
    assert event.detail == {"item_id": second.id, "from": "open", "to": "wont_do",
                            "reason": "Duplicate of AI-1"}
