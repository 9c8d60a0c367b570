"""Every action-item button and submission checks who is asking: a user of another workspace
(even with an editor's id) and someone who is neither an editor nor the item's owner are
refused, and nothing is stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.slack.ids import Action, ActionItemBlock
from bot.slack.reminders.dm_views import status_value
from slack_emulator.signing import SignedSlackClient
from storage.tables import ActionItem, AuditEvent, Reminder
from tests.bot.test_action_items import (
    add_item,
    dms,
    item_values,
    items,
    open_list,
    push_item_modal,
    start_pm,
)
from tests.bot.test_action_items_dm import send_nudge
from tests.harness import Harness

# The author's own user id, asking from another workspace (a Slack Connect guest, say).
GUEST = ("U0ALICE", "T0OTHER")
# In the workspace, but neither an editor of the post-mortem nor the item's owner.
OUTSIDER = ("U0DAN", "T0001")


def opened(bot: Harness, before: int, method: str = "views.open") -> dict[str, Any]:
    call = bot.emu.wait_for(method, count=before + 1)[-1]
    return bot.emu.views[call.response["view"]["id"]]


def scene(bot: Harness) -> dict[str, Any]:
    """A post-mortem with AI-1 (bob's), bob's DMs, a day-30 question, and the modals the
    rightful people opened: alice's add form, bob's won't-do and due-date modals."""
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    dm = dms(bot, "U0BOB")[0]
    nudge = send_nudge(bot, "U0BOB")
    with bot.session() as session:
        question = Reminder(dedupe_key=f"pm:{pm_id}:follow_up:day30", kind="follow_up",
                            postmortem_id=pm_id, target="U0ALICE",
                            due_at=bot.clock.now + timedelta(days=30),
                            payload={"scope": "recurrence", "days": 30})
        session.add(question)
        session.commit()
        question_id = question.id
    list_view = open_list(bot, "U0ALICE", pm_id)
    add_form = push_item_modal(bot, "U0ALICE", list_view)
    im = bot.emu.im_channel("U0BOB")
    before = len(bot.emu.calls_to("views.open"))
    bot.slack.block_action("U0BOB", Action.ACTION_ITEM_STATUS,
                           value=status_value(item, "wont_do"), message=dm, channel_id=im)
    wont_do = opened(bot, before)
    bot.slack.block_action("U0BOB", Action.NUDGE_DUE, value=str(item.id), message=nudge,
                           channel_id=im)
    due = opened(bot, before + 1)
    bot.settle()
    return {"pm_id": pm_id, "item": item, "dm": dm, "nudge": nudge, "im": im,
            "question": question_id, "list": list_view, "add_form": add_form,
            "wont_do": wont_do, "due": due}


def stored(bot: Harness) -> tuple[Any, ...]:
    with bot.session() as session:
        rows = session.exec(select(ActionItem)).all()
        return (
            [(a.title, a.owner_id, a.status, a.due_on, a.wont_do_reason, a.tracker_error)
             for a in rows],
            len(session.exec(select(AuditEvent)).all()),
            sorted((r.kind, r.status, str(r.payload.get("answer"))) for r in
                   session.exec(select(Reminder).where(Reminder.kind != "message",
                                                       Reminder.kind != "refresh")).all()),
        )


@pytest.mark.parametrize(("user", "team"), [GUEST, OUTSIDER], ids=["guest", "outsider"])
def test_every_button_and_submission_refuses(bot: Harness, user: str, team: str) -> None:
    s = scene(bot)
    slack: SignedSlackClient = bot.slack.for_team(team)
    pm_id, item, im = s["pm_id"], s["item"], s["im"]
    before = stored(bot)
    views_before = len(bot.emu.calls_to("views.open")) + len(bot.emu.calls_to("views.push"))
    clicks: list[tuple[str, str, dict[str, Any]]] = [
        (Action.ACTION_ITEM_ADD, str(pm_id), {"view": s["list"]}),
        (Action.ACTION_ITEM_EDIT, f"{pm_id}:{item.id}", {"view": s["list"]}),
        (Action.ACTION_ITEM_STATUS, status_value(item, "done"), {"message": s["dm"]}),
        (Action.ACTION_ITEM_STATUS, status_value(item, "wont_do"), {"message": s["dm"]}),
        (Action.NUDGE_DONE, str(item.id), {"message": s["nudge"]}),
        (Action.NUDGE_PROGRESS, str(item.id), {"message": s["nudge"]}),
        (Action.NUDGE_SNOOZE, str(item.id), {"message": s["nudge"]}),
        (Action.NUDGE_DUE, str(item.id), {"message": s["nudge"]}),
        (Action.TRACKER_GITHUB, str(item.id), {}),
        (Action.TRACKER_JIRA, str(item.id), {}),
        (Action.FOLLOWUP_NO_RECURRENCE, f"{pm_id}:{s['question']}", {}),
        (Action.FOLLOWUP_RECURRED, f"{pm_id}:{s['question']}", {}),
    ]
    if team != "T0001":
        # Reading the list is open to the post-mortem's workspace only.
        clicks += [(Action.OPEN_ACTION_ITEMS, str(pm_id), {}),
                   (Action.ACTION_ITEM_PAGE, f"{pm_id}:1", {"view": s["list"]})]
    for action, value, where in clicks:
        channel = im if "message" in where else "C0INCIDENT"
        response = slack.block_action(user, action, value=value, channel_id=channel, **where)
        assert response.status == 200
        bot.settle()
    submissions = [
        (s["add_form"], item_values(owner="U0CAROL")),
        (s["wont_do"], {ActionItemBlock.WONT_DO_REASON: {"value": "Not worth it"}}),
        (s["due"], {ActionItemBlock.NUDGE_DUE_DATE: {"value": "2026-12-24"}}),
    ]
    for form, values in submissions:
        answer = slack.view_submission(user, form, values, apply_response=False).json()
        assert answer["response_action"] == "errors", answer
        [said] = answer["errors"].values()
        assert "another workspace" in said or "Only" in said
    bot.settle()
    assert stored(bot) == before
    views_after = len(bot.emu.calls_to("views.open")) + len(bot.emu.calls_to("views.push"))
    assert views_after == views_before
    # Each click was answered with its refusal (first where the user clicked; Slack may then
    # rate-limit the DM the bot falls back to, which is why attempts are counted).
    told = [c.args["text"] for c in bot.emu.calls_to("chat.postEphemeral", include_errors=True)
            if c.args.get("user") == user]
    assert len(told) == len(clicks)
    assert all("another workspace" in t or "Only" in t for t in told), told
