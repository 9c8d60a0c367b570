"""Action items end to end: control message → list modal → item modal → saved, numbered,
audited, announced in the thread, the owner told by DM. Signed HTTP against the emulator."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.slack.ids import Action
from bot.slack.ids import ActionItemField as Field
from bot.slack.reminders.dm_views import status_value
from flows import action_items as ai
from flows.action_item_changes import insert_numbered
from slack_emulator.signing import Response
from storage.tables import ActionItem, AuditEvent, Postmortem, Reminder
from tests.bot.test_start import start_values
from tests.harness import Harness

TITLE = "Add an alert when DB pool usage is above 80% for 5 minutes"
# The clock says 2026-11-22 09:00 UTC; the incident was resolved two days earlier.
RESOLVED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


# ---- steps ------------------------------------------------------------------------------
def start_pm(bot: Harness, **roles: Any) -> int:
    """A post-mortem owned by alice; `roles` (commander_id, reviewers…) set directly."""
    view = bot.open_modal("U0ALICE", "start")
    values = start_values(started=int(RESOLVED.timestamp()) - 7200,
                          resolved=int(RESOLVED.timestamp()))
    bot.slack.view_submission("U0ALICE", view, values)
    bot.emu.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "C0INCIDENT")
    bot.settle()
    with bot.session() as session:
        pm = session.exec(select(Postmortem)).one()
        for key, value in roles.items():
            setattr(pm, key, value)
        session.add(pm)
        session.commit()
        assert pm.id is not None
        return pm.id


def the_pm(bot: Harness, pm_id: int) -> Postmortem:
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        return pm


def control_message(bot: Harness, pm_id: int) -> dict[str, Any]:
    pm = the_pm(bot, pm_id)
    return next(m for m in bot.emu.messages("C0INCIDENT") if m["ts"] == pm.message_ts)


def thread_notes(bot: Harness, pm_id: int) -> list[str]:
    pm = the_pm(bot, pm_id)
    assert pm.message_ts is not None
    return [m["text"] for m in bot.emu.thread("C0INCIDENT", pm.message_ts)[1:]]


def open_list(bot: Harness, user: str, pm_id: int) -> dict[str, Any]:
    before = len(bot.emu.calls_to("views.open"))
    response = bot.slack.block_action(user, Action.OPEN_ACTION_ITEMS, value=str(pm_id),
                                      message=control_message(bot, pm_id),
                                      channel_id="C0INCIDENT")
    assert response.status == 200
    call = bot.emu.wait_for("views.open", count=before + 1)[-1]
    return bot.emu.views[call.response["view"]["id"]]


def push_item_modal(
    bot: Harness, user: str, list_view: dict[str, Any], action: str = Action.ACTION_ITEM_ADD,
    value: str | None = None,
) -> dict[str, Any]:
    before = len(bot.emu.calls_to("views.push"))
    bot.slack.block_action(user, action, value=value, view=list_view)
    call = bot.emu.wait_for("views.push", count=before + 1)[-1]
    return bot.emu.views[call.response["view"]["id"]]


def item_values(
    title: str = TITLE, owner: str | None = "U0BOB", priority: str | None = "P1",
    category: str | None = "Detection", due: date | None = None, criteria: str | None = None,
    status: str | None = None, reason: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        Field.TITLE: {"value": title},
        Field.OWNER: {"value": owner},
        Field.PRIORITY: {"value": priority},
        Field.CATEGORY: {"value": category},
        Field.DUE: {"value": due.isoformat() if due else None},
        Field.CRITERIA: {"value": criteria},
    }
    if status:
        values[Field.STATUS] = {"value": status}
    if reason:
        values[Field.WONT_DO_REASON] = {"value": reason}
    return values


def add_item(bot: Harness, pm_id: int, user: str = "U0ALICE", **values: Any) -> Response:
    form = push_item_modal(bot, user, open_list(bot, user, pm_id))
    response = bot.slack.view_submission(user, form, item_values(**values))
    bot.settle()
    return response


def items(bot: Harness) -> list[ActionItem]:
    with bot.session() as session:
        return list(session.exec(select(ActionItem).order_by(ActionItem.number)).all())


def dms(bot: Harness, user: str) -> list[dict[str, Any]]:
    return bot.emu.messages(bot.emu.im_channel(user))


def status_buttons(message: dict[str, Any]) -> list[str]:
    return [b["accessory"]["value"] for b in message.get("blocks") or []
            if (b.get("accessory") or {}).get("action_id") == Action.ACTION_ITEM_STATUS]


# ---- tests ------------------------------------------------------------------------------
def test_list_opens_from_the_control_message(bot: Harness) -> None:
    pm_id = start_pm(bot)
    view = open_list(bot, "U0DAN", pm_id)
    texts = str(view["blocks"])
    assert "No action items yet" in texts
    add = next(b for b in view["blocks"] if b["type"] == "actions")["elements"][0]
    assert (add["action_id"], add["value"]) == (Action.ACTION_ITEM_ADD, str(pm_id))


def test_adding_an_item_saves_every_field_and_tells_everyone(bot: Harness) -> None:
    pm_id = start_pm(bot)
    list_view = open_list(bot, "U0ALICE", pm_id)
    form = push_item_modal(bot, "U0ALICE", list_view)
    assert bot.emu.view_stack(form["id"]) == [list_view["id"], form["id"]]
    response = bot.slack.view_submission("U0ALICE", form, item_values(
        priority="P2", category="Tooling", due=date(2026, 12, 1),
        criteria="Alert fires in staging when pool usage exceeds 80%",
    ))
    assert response.status == 200 and not response.body.strip(b"{} ")
    bot.settle()

    [item] = items(bot)
    assert (item.number, item.title, item.owner_id, item.priority, item.category) == (
        1, TITLE, "U0BOB", "P2", "Tooling"
    )
    assert item.due_on == date(2026, 12, 1)
    assert item.success_criteria == "Alert fires in staging when pool usage exceeds 80%"
    assert (item.status, item.created_by, item.created_at) == ("open", "U0ALICE", bot.clock.now)
    with bot.session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == "action_item.added"))
        assert [e.actor_id for e in events] == ["U0ALICE"]
        nudges = session.exec(select(Reminder).where(Reminder.kind == "nudge")).all()
    assert [(n.target, n.status) for n in nudges] == [("U0BOB", "pending")]

    [note] = thread_notes(bot, pm_id)
    assert note.startswith("<@U0ALICE> added *AI-1*") and "owner <@U0BOB>" in note
    assert "1 action items (1 open)" in str(control_message(bot, pm_id)["blocks"])
    # The list underneath was redrawn with the new item.
    assert not bot.emu.is_view_open(form["id"])
    assert "AI-1" in str(bot.emu.views[list_view["id"]]["blocks"])

    [dm] = dms(bot, "U0BOB")
    assert "You own AI-1" in dm["text"]
    assert status_buttons(dm) == [status_value(item, s) for s in ("in_progress", "done",
                                                                  "wont_do")]


@pytest.mark.parametrize(
    ("priority", "due"),
    [("P0", date(2026, 12, 4)), ("P1", date(2026, 12, 4)), ("P2", date(2026, 12, 20)),
     ("P3", None)],
)
def test_empty_due_date_takes_the_priority_default(
    bot: Harness, priority: str, due: date | None
) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id, priority=priority)
    [item] = items(bot)
    assert item.due_on == due
    expected = f"due {due.isoformat()}" if due else "due backlog"
    assert expected in thread_notes(bot, pm_id)[0]


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"owner": "team"}, Field.OWNER, "“Team” is not an owner"),
        ({"owner": "S0DBTEAM"}, Field.OWNER, "group, not a person"),
        ({"owner": "UBOT0001"}, Field.OWNER, "bots and deactivated accounts"),
        ({"title": "  "}, Field.TITLE, "Say what will be done"),
        ({"title": "Improve monitoring"}, Field.TITLE, "Be specific"),
        ({"title": "word " * 700}, Field.TITLE, "under 3000 characters"),
        ({"criteria": "x" * 3001}, Field.CRITERIA, "under 3000 characters"),
        ({"priority": "P9"}, Field.PRIORITY, "“P9” is not a priority"),
        ({"category": None}, Field.CATEGORY, "Pick a category"),
        ({"due": date(2026, 11, 1)}, Field.DUE, "already over"),
    ],
)
def test_each_validation_error_shows_at_its_field(
    bot: Harness, values: dict[str, Any], field: str, says: str
) -> None:
    pm_id = start_pm(bot)
    form = push_item_modal(bot, "U0ALICE", open_list(bot, "U0ALICE", pm_id))
    body = bot.slack.view_submission("U0ALICE", form, item_values(**values)).json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [field]
    assert says in body["errors"][field]
    # Slack accepted the answer: every error names a block of the modal, which stays open.
    assert bot.emu.calls_to("response_action")[-1].ok
    assert bot.emu.is_view_open(form["id"])
    assert items(bot) == []


def test_items_are_numbered_in_order(bot: Harness) -> None:
    pm_id = start_pm(bot)
    for n in range(3):
        add_item(bot, pm_id, title=f"{TITLE} (part {n + 1})")
    assert [(i.number, i.title[-8:]) for i in items(bot)] == [
        (1, "(part 1)"), (2, "(part 2)"), (3, "(part 3)")
    ]
    assert "3 action items (3 open)" in str(control_message(bot, pm_id)["blocks"])


def test_a_number_taken_by_a_racing_insert_is_retried(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    real = ai.next_number
    calls: list[int] = []

    def stale_then_real(numbers: Any) -> int:
        # The first read happened before the other insert committed: it offers AI-1 again.
        calls.append(1)
        return 1 if len(calls) == 1 else real(numbers)

    monkeypatch.setattr(ai, "next_number", stale_then_real)
    now = bot.clock.now
    with bot.session() as session:
        item = insert_numbered(session, {
            "postmortem_id": pm_id, "title": TITLE, "owner_id": "U0CAROL", "priority": "P2",
            "category": "Process", "created_at": now, "updated_at": now,
        })
        session.commit()
    assert (item.number, len(calls)) == (2, 2)
    assert [i.number for i in items(bot)] == [1, 2]


def test_two_people_adding_at_once_get_distinct_numbers(bot: Harness) -> None:
    pm_id = start_pm(bot, commander_id="U0BOB")
    forms = {u: push_item_modal(bot, u, open_list(bot, u, pm_id)) for u in ("U0ALICE", "U0BOB")}
    responses: list[Response] = []

    def submit(user: str) -> None:
        owner = "U0CAROL" if user == "U0ALICE" else "U0DAN"
        responses.append(bot.slack.view_submission(user, forms[user], item_values(owner=owner)))

    threads = [threading.Thread(target=submit, args=(u,)) for u in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bot.settle()
    assert [r.status for r in responses] == [200, 200]
    saved = items(bot)
    assert sorted(i.number for i in saved) == [1, 2]
    assert {i.created_by for i in saved} == {"U0ALICE", "U0BOB"}
    assert len(thread_notes(bot, pm_id)) == 2


def test_a_double_clicked_submit_saves_one_item(bot: Harness) -> None:
    pm_id = start_pm(bot)
    form = push_item_modal(bot, "U0ALICE", open_list(bot, "U0ALICE", pm_id))
    results: list[Response] = []
    threads = [
        threading.Thread(target=lambda: results.append(bot.slack.view_submission(
            "U0ALICE", form, item_values(), apply_response=False)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = bot.slack.view_submission("U0ALICE", form, item_values())
    bot.settle()
    assert [r.status for r in [*results, again]] == [200, 200, 200]
    assert [i.number for i in items(bot)] == [1]
    assert len(thread_notes(bot, pm_id)) == 1
    assert len(dms(bot, "U0BOB")) == 1


def test_editing_the_owner_tells_the_new_owner(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id, criteria="Alert fires in staging")
    [item] = items(bot)
    list_view = open_list(bot, "U0ALICE", pm_id)
    form = push_item_modal(bot, "U0ALICE", list_view, Action.ACTION_ITEM_EDIT,
                           f"{pm_id}:{item.id}")
    initial = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert initial[Field.OWNER]["initial_user"] == "U0BOB"
    assert initial[Field.DUE]["initial_date"] == "2026-12-04"
    assert initial[Field.STATUS]["initial_option"]["value"] == "open"
    assert initial[Field.CRITERIA]["initial_value"] == "Alert fires in staging"

    bot.slack.view_submission("U0ALICE", form, item_values(
        owner="U0CAROL", due=date(2026, 12, 4), criteria="Alert fires in staging",
        status="in_progress",
    ))
    bot.settle()
    [item] = items(bot)
    assert (item.owner_id, item.status, item.number) == ("U0CAROL", "in_progress", 1)
    [dm] = dms(bot, "U0CAROL")
    assert "You own AI-1" in dm["text"] and "<@U0ALICE> assigned this to you" in str(dm)
    assert len(dms(bot, "U0BOB")) == 1  # the first assignment only
    note = thread_notes(bot, pm_id)[-1]
    assert note == "<@U0ALICE> updated *AI-1*: owner → <@U0CAROL>, status → in progress"
    assert "<@U0CAROL>" in str(bot.emu.views[list_view["id"]]["blocks"])
    with bot.session() as session:
        kinds = [e.kind for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert kinds[-2:] == ["action_item.added", "action_item.updated"]


def test_saving_without_changes_says_nothing(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    [item] = items(bot)
    form = push_item_modal(bot, "U0ALICE", open_list(bot, "U0ALICE", pm_id),
                           Action.ACTION_ITEM_EDIT, f"{pm_id}:{item.id}")
    bot.slack.view_submission("U0ALICE", form, item_values(due=date(2026, 12, 4)))
    bot.settle()
    assert len(thread_notes(bot, pm_id)) == 1


def test_people_who_do_not_own_the_postmortem_cannot_add(bot: Harness) -> None:
    pm_id = start_pm(bot)
    list_view = open_list(bot, "U0DAN", pm_id)
    bot.slack.block_action("U0DAN", Action.ACTION_ITEM_ADD, view=list_view)
    bot.settle()
    assert bot.emu.calls_to("views.push") == []
    [refusal] = dms(bot, "U0DAN")
    assert "Only the post-mortem's author" in refusal["text"] and "<@U0ALICE>" in refusal["text"]

    # A submission crafted past the button is refused at the form, and nothing is saved.
    alice_form = push_item_modal(bot, "U0ALICE", open_list(bot, "U0ALICE", pm_id))
    body = bot.slack.view_submission("U0DAN", alice_form, item_values()).json()
    assert "Only the post-mortem's author" in body["errors"][Field.TITLE]
    assert items(bot) == []


def test_every_view_the_bot_sent_passed_slacks_checks(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id, title="x" * 2990 + " a b", criteria="y" * 2999)
    add_item(bot, pm_id, owner="U0CAROL", priority="P3")
    open_list(bot, "U0ALICE", pm_id)
    failed = [c for c in bot.emu.calls if not c.ok]
    assert failed == []
    assert len(items(bot)) == 2


def test_list_redraw_retries_once_on_a_hash_conflict(bot: Harness) -> None:
    pm_id = start_pm(bot)
    list_view = open_list(bot, "U0ALICE", pm_id)
    form = push_item_modal(bot, "U0ALICE", list_view)
    # Something else redrew the list after the item modal was pushed: its hash is stale now.
    bot.client.views_update(view_id=list_view["id"], view={
        k: list_view[k] for k in ("type", "title", "close", "blocks", "callback_id")
    })
    bot.slack.view_submission("U0ALICE", form, item_values())
    bot.settle()
    updates = [c for c in bot.emu.calls_to("views.update", include_errors=True)
               if c.args.get("view_id") == list_view["id"]][1:]
    assert [c.response.get("error") for c in updates] == ["hash_conflict", None]
    assert "AI-1" in str(bot.emu.views[list_view["id"]]["blocks"])


def test_new_items_are_offered_to_the_tracker(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.slack.modals.action_items as surface

    pushed: list[int] = []
    monkeypatch.setattr(surface, "push_if_always",
                        lambda deps, item_id: pushed.append(item_id))
    pm_id = start_pm(bot)
    add_item(bot, pm_id)
    assert pushed == [items(bot)[0].id]
