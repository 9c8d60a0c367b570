"""The owner's DMs: status buttons sent on assignment and the weekly nudge's buttons. Each
click updates the item, the audit trail, the thread and the control message, and redraws the
DM in place."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select

from bot.jobs.sweep import run_sweep
from bot.slack.ids import Action, ActionItemBlock
from bot.slack.reminders.dm_views import status_value
from bot.slack.reminders.views import build_nudge
from storage.queries import action_items
from storage.tables import ActionItem, AuditEvent, Reminder
from tests.bot.test_action_items import (
    TITLE,
    add_item,
    control_message,
    dms,
    items,
    start_pm,
    status_buttons,
    thread_notes,
)
from tests.harness import Harness

NUDGE_DUE_BLOCK = ActionItemBlock.NUDGE_DUE_DATE
WONT_DO_REASON = ActionItemBlock.WONT_DO_REASON


def click_in_dm(bot: Harness, user: str, action: str, value: str,
                message: dict[str, Any] | None = None) -> dict[str, Any]:
    """Click a button in `user`'s DM (the latest bot message unless given); the DM after."""
    channel = bot.emu.im_channel(user)
    message = message or dms(bot, user)[-1]
    response = bot.slack.block_action(user, action, value=value, message=message,
                                      channel_id=channel)
    assert response.status == 200
    bot.settle()
    return next(m for m in dms(bot, user) if m["ts"] == message["ts"])


def mark_wont_do(bot: Harness, user: str, item: Any, message: dict[str, Any],
                 reason: str = "Superseded by the new pool manager") -> dict[str, Any]:
    """Won't do asks why first: click the DM's button, then answer the modal it opens."""
    before = len(bot.emu.calls_to("views.open"))
    bot.slack.block_action(user, Action.ACTION_ITEM_STATUS, value=status_value(item, "wont_do"),
                           message=message, channel_id=bot.emu.im_channel(item.owner_id))
    call = bot.emu.wait_for("views.open", count=before + 1)[-1]
    modal = bot.emu.views[call.response["view"]["id"]]
    response = bot.slack.view_submission(user, modal, {WONT_DO_REASON: {"value": reason}})
    assert response.status == 200
    bot.settle()
    return modal


def told(bot: Harness, user: str) -> str:
    """Everything the bot said to `user` alone: ephemeral messages and DMs."""
    ephemeral = [m["text"] for m in bot.emu.ephemeral_messages if m.get("user_to") == user]
    return "\n".join(ephemeral + [m["text"] for m in dms(bot, user)])


def send_nudge(bot: Harness, owner: str) -> dict[str, Any]:
    """Post the weekly nudge as the sweep would."""
    with bot.session() as session:
        rows = action_items.open_items_of(session, owner_id=owner)
    bot.client.chat_postMessage(channel=owner, **build_nudge(owner, rows, today=date(2026, 11, 23)))
    return dms(bot, owner)[-1]


def test_owner_marks_done_from_the_dm(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    dm = click_in_dm(bot, "U0BOB", Action.ACTION_ITEM_STATUS, status_value(item, "done"))

    [item] = items(bot)
    assert (item.status, item.done_at) == ("done", bot.clock.now)
    assert thread_notes(bot, pm_id)[-1] == f"<@U0BOB> marked *AI-1* done — “{TITLE}”"
    assert "1 action items (0 open)" in str(control_message(bot, pm_id)["blocks"])
    # Redrawn in place: the same message now offers only reopening.
    assert "edited" in dm and "Done" in dm["text"]
    assert status_buttons(dm) == [status_value(item, "open"), status_value(item, "in_progress")]
    with bot.session() as session:
        status_events = select(AuditEvent).where(AuditEvent.kind == "action_item.status")
        event = session.exec(status_events).one()
    assert (event.actor_id, event.detail) == ("U0BOB", {"item_id": item.id, "from": "open",
                                                        "to": "done"})

    # A second click on the old button changes nothing and says nothing.
    click_in_dm(bot, "U0BOB", Action.ACTION_ITEM_STATUS, status_value(item, "done"))
    assert len(thread_notes(bot, pm_id)) == 2


def test_in_progress_then_wont_do_then_reopen(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    for status, note in [("in_progress", "started *AI-1* (in progress)"),
                         ("wont_do", "marked *AI-1* won't do"), ("open", "reopened *AI-1*")]:
        if status == "wont_do":
            mark_wont_do(bot, "U0BOB", item, dms(bot, "U0BOB")[-1])
        else:
            click_in_dm(bot, "U0BOB", Action.ACTION_ITEM_STATUS, status_value(item, status))
        assert items(bot)[0].status == status
        assert note in thread_notes(bot, pm_id)[-1]


def test_a_finished_item_cannot_jump_to_wont_do(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    click_in_dm(bot, "U0BOB", Action.ACTION_ITEM_STATUS, status_value(item, "done"))
    click_in_dm(bot, "U0BOB", Action.ACTION_ITEM_STATUS, status_value(item, "wont_do"))
    assert items(bot)[0].status == "done"
    assert "reopen it first" in told(bot, "U0BOB")


def test_others_cannot_change_the_status_but_editors_can(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    dm = dms(bot, "U0BOB")[0]
    bot.slack.block_action("U0DAN", Action.ACTION_ITEM_STATUS, value=status_value(item, "done"),
                           message=dm, channel_id=bot.emu.im_channel("U0BOB"))
    bot.settle()
    assert items(bot)[0].status == "open"
    assert "Only AI-1's owner (<@U0BOB>)" in told(bot, "U0DAN")

    # Alice owns the post-mortem: she may close anyone's item.
    mark_wont_do(bot, "U0ALICE", item, dm)
    assert items(bot)[0].status == "wont_do"
    assert thread_notes(bot, pm_id)[-1].startswith("<@U0ALICE> marked *AI-1* won't do")


def test_nudge_buttons_progress_snooze_and_done(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    add_item(bot, pm_id, title=f"{TITLE}, in the EU region too", priority="P2")
    first, second = items(bot)
    nudge = send_nudge(bot, "U0BOB")

    after = click_in_dm(bot, "U0BOB", Action.NUDGE_PROGRESS, str(first.id), nudge)
    assert items(bot)[0].status == "in_progress"
    assert "AI-1 is in progress" in str(after["blocks"]) and "in progress" in str(after["blocks"])

    after = click_in_dm(bot, "U0BOB", Action.NUDGE_SNOOZE, str(second.id), after)
    with bot.session() as session:
        snooze = session.exec(select(Reminder).where(Reminder.kind == "snooze")).one()
    assert (snooze.action_item_id, snooze.status) == (second.id, "pending")
    assert "AI-2 is snoozed" in str(after["blocks"])
    assert f"ai.nudge.item.{second.id}" not in str(after["blocks"])

    notes_before = len(thread_notes(bot, pm_id))
    after = click_in_dm(bot, "U0BOB", Action.NUDGE_DONE, str(first.id), after)
    assert items(bot)[0].status == "done"
    assert len(thread_notes(bot, pm_id)) == notes_before + 1
    assert "Nothing left to nudge you about" in after["text"]
    assert "2 action items (1 open)" in str(control_message(bot, pm_id)["blocks"])

    # Finishing the snoozed item cancels its snooze in the same transaction.
    click_in_dm(bot, "U0BOB", Action.NUDGE_DONE, str(second.id), after)
    with bot.session() as session:
        assert session.get(Reminder, snooze.id).status == "cancelled"  # type: ignore[union-attr]


def test_nudge_change_due_date(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    nudge = send_nudge(bot, "U0BOB")
    click_in_dm(bot, "U0BOB", Action.NUDGE_DUE, str(item.id), nudge)
    call = bot.emu.wait_for("views.open", where=lambda c: "Change due date" in str(c.args))[-1]
    modal = bot.emu.views[call.response["view"]["id"]]

    past = bot.slack.view_submission("U0BOB", modal, {NUDGE_DUE_BLOCK: {"value": "2026-11-01"}})
    assert "already over" in past.json()["errors"][NUDGE_DUE_BLOCK]
    assert items(bot)[0].due_on == date(2026, 12, 4)

    bot.slack.view_submission("U0BOB", modal, {NUDGE_DUE_BLOCK: {"value": "2026-12-18"}})
    bot.settle()
    assert items(bot)[0].due_on == date(2026, 12, 18)
    assert thread_notes(bot, pm_id)[-1] == (
        "<@U0BOB> moved *AI-1*'s due date 2026-12-04 → 2026-12-18"
    )
    redrawn = next(m for m in dms(bot, "U0BOB") if m["ts"] == nudge["ts"])
    assert "AI-1 is now due 2026-12-18" in str(redrawn["blocks"])
    with bot.session() as session:
        kinds = [e.kind for e in session.exec(select(AuditEvent))]
    assert "action_item.due_moved" in kinds


def test_nudge_buttons_are_refused_to_others(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    nudge = send_nudge(bot, "U0BOB")
    for action in (Action.NUDGE_DONE, Action.NUDGE_SNOOZE, Action.NUDGE_DUE):
        bot.slack.block_action("U0DAN", action, value=str(item.id), message=nudge,
                               channel_id=bot.emu.im_channel("U0BOB"))
        bot.settle()
    assert items(bot)[0].status == "open"
    assert told(bot, "U0DAN").count("Only AI-1's owner") == 3
    with bot.session() as session:
        assert session.exec(select(Reminder).where(Reminder.kind == "snooze")).all() == []
    assert not any("Change due date" in str(c.args) for c in bot.emu.calls_to("views.open"))


def test_an_old_nudge_does_not_reopen_a_finished_item(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    nudge = send_nudge(bot, "U0BOB")
    click_in_dm(bot, "U0BOB", Action.ACTION_ITEM_STATUS, status_value(item, "done"),
                dms(bot, "U0BOB")[0])
    click_in_dm(bot, "U0BOB", Action.NUDGE_PROGRESS, str(item.id), nudge)
    assert items(bot)[0].status == "done"
    assert "AI-1 is already done" in told(bot, "U0BOB")


def test_a_nudge_for_500_items_stays_within_one_message(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)  # plans bob's weekly nudge
    now = bot.clock.now
    with bot.session() as session:
        for n in range(2, 501):
            session.add(ActionItem(postmortem_id=pm_id, number=n, owner_id="U0BOB",
                                   title=f"{TITLE} on shard {n}", priority="P2",
                                   due_on=date(2026, 12, 1), created_at=now, updated_at=now))
        session.commit()
    bot.clock.advance(days=8)
    run_sweep(bot.deps, bot.client)
    nudge = next(m for m in reversed(dms(bot, "U0BOB")) if "open post-mortem" in m["text"])
    assert nudge["text"].startswith("You have 500 open post-mortem action items")
    assert len(nudge["blocks"]) <= 50 and "and 480 more" in str(nudge["blocks"])
    [first] = [e["value"] for b in nudge["blocks"] if b["type"] == "actions"
               for e in b["elements"] if e["action_id"] == Action.NUDGE_DONE][:1]
    after = click_in_dm(bot, "U0BOB", Action.NUDGE_DONE, first, nudge)
    assert after["text"].startswith("You have 499 open") and len(after["blocks"]) <= 50
    # Slack took every message and view (a burst may be rate-limited: the outbox retries it).
    refused = [c for c in bot.emu.calls if not c.ok and c.response.get("error") != "ratelimited"]
    assert refused == []
