"""The timeline modal over signed HTTP: list, add, edit, delete, paging, time zones."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.slack.ids import Action, Callback
from bot.slack.modals.timeline_views import ACTOR, NAV_NEXT, NAV_PREV, TEXT, TIME_PICK, TIME_TEXT
from storage.db import session_scope
from storage.tables import AuditEvent, TimelineEntry
from tests.bot.opening import facts, open_postmortem
from tests.harness import Harness

STARTED = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


# ---- helpers ---------------------------------------------------------------------------------


def make_postmortem(bot: Harness, channel_id: str = "C0INCIDENT") -> tuple[int, dict[str, Any]]:
    """A post-mortem owned by Alice with its control message posted; (id, control message)."""
    pm_id, ts = open_postmortem(bot, facts(channel_id=channel_id, started=STARTED))
    control = next(m for m in bot.emu.messages(channel_id) if m["ts"] == ts)
    return pm_id, control


def seed(bot: Harness, pm_id: int, *entries: tuple[datetime, str, str | None]) -> list[int]:
    """Entries written straight to the database: (when, text, created_by)."""
    with session_scope(bot.deps.sessions) as session:
        rows = [
            TimelineEntry(
                postmortem_id=pm_id,
                occurred_at=at,
                text=text,
                created_by=by,
                created_at=bot.clock(),
            )
            for at, text, by in entries
        ]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows if r.id is not None]


def entries(bot: Harness, pm_id: int) -> list[TimelineEntry]:
    with bot.session() as session:
        stmt = select(TimelineEntry).where(TimelineEntry.postmortem_id == pm_id)
        return sorted(session.exec(stmt).all(), key=lambda e: (e.occurred_at, e.id or 0))


def open_timeline(bot: Harness, user_id: str, pm_id: int, control: dict[str, Any]) -> str:
    before = len(bot.emu.calls_to("views.open"))
    response = bot.slack.block_action(
        user_id, Action.OPEN_TIMELINE, value=str(pm_id), message=control, channel_id="C0INCIDENT"
    )
    assert response.status == 200
    view = bot.emu.wait_for("views.open", count=before + 1)[-1].response["view"]
    assert view["callback_id"] == Callback.TIMELINE
    return str(view["id"])


def push_entry_modal(
    bot: Harness,
    user_id: str,
    list_id: str,
    action: str = Action.TIMELINE_ADD,
    value: str | None = None,
) -> str:
    before = len(bot.emu.calls_to("views.push"))
    assert bot.slack.block_action(user_id, action, view=list_id, value=value).status == 200
    view = bot.emu.wait_for("views.push", count=before + 1)[-1].response["view"]
    assert view["callback_id"] == Callback.TIMELINE_ENTRY
    return str(view["id"])


def form(
    time: str | None = None,
    text: str | None = "Deploy started",
    actor: str | None = None,
    pick: int | None = None,
) -> dict[str, Any]:
    return {
        TIME_TEXT: {"value": time},
        TIME_PICK: {"value": pick},
        TEXT: {"value": text},
        ACTOR: {"value": actor},
    }


def submit(bot: Harness, user_id: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
    response = bot.slack.view_submission(user_id, view_id, values)
    assert response.status == 200
    bot.settle()
    return response.json() if response.body.strip() else {}


def list_text(bot: Harness, list_id: str) -> str:
    return "\n".join(
        b["text"]["text"]
        for b in bot.emu.views[list_id]["blocks"]
        if b["type"] in ("section",) and "text" in b
    )


def assert_slack_accepted_everything(bot: Harness) -> None:
    """Every view and message the bot sent passed the emulator's Block Kit checks."""
    refused = [(c.method, c.response) for c in bot.emu.calls if not c.ok]
    assert refused == []


def add(bot: Harness, user_id: str, list_id: str, values: dict[str, Any]) -> dict[str, Any]:
    return submit(bot, user_id, push_entry_modal(bot, user_id, list_id), values)


# ---- listing ---------------------------------------------------------------------------------


def test_list_shows_entries_in_time_order_in_the_viewers_zone(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    seed(
        bot,
        pm_id,
        (STARTED + timedelta(minutes=30), "Rolled back", "U0BOB"),
        (STARTED + timedelta(minutes=5), "Deploy <v1.3> started", "U0ALICE"),
    )
    alice = open_timeline(bot, "U0ALICE", pm_id, control)
    bob = open_timeline(bot, "U0BOB", pm_id, control)
    text = list_text(bot, alice)
    assert "*Sat 21 Nov 15:05 CET*" in text and "*Sat 21 Nov 15:30 CET*" in text
    assert text.index("Deploy &lt;v1.3&gt; started") < text.index("Rolled back")
    assert "*Sat 21 Nov 09:05 EST*" in list_text(bot, bob)
    assert_slack_accepted_everything(bot)


# ---- adding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "typed", "expected"),
    [
        ("U0ALICE", "14:05", datetime(2026, 11, 21, 13, 5, tzinfo=UTC)),
        ("U0ALICE", "2026-11-21 14:05", datetime(2026, 11, 21, 13, 5, tzinfo=UTC)),
        ("U0ALICE", "14:05 CET", datetime(2026, 11, 21, 13, 5, tzinfo=UTC)),
        ("U0ALICE", "yesterday 22:40", datetime(2026, 11, 21, 21, 40, tzinfo=UTC)),
        ("U0BOB", "14:05", datetime(2026, 11, 21, 19, 5, tzinfo=UTC)),
        ("U0BOB", "2026-11-21 14:05", datetime(2026, 11, 21, 19, 5, tzinfo=UTC)),
        ("U0BOB", "14:05 CET", datetime(2026, 11, 21, 13, 5, tzinfo=UTC)),
        ("U0BOB", "yesterday 22:40", datetime(2026, 11, 22, 3, 40, tzinfo=UTC)),
    ],
)
def test_add_entry_with_typed_time(
    bot: Harness, user_id: str, typed: str, expected: datetime
) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, user_id, pm_id, control)
    before = bot.emu.views[list_id]["hash"]
    assert add(bot, user_id, list_id, form(typed, actor="deploy bot")) == {}
    [entry] = entries(bot, pm_id)
    assert (entry.occurred_at, entry.text, entry.actor) == (
        expected,
        "Deploy started",
        "deploy bot",
    )
    assert (entry.source, entry.created_by) == ("manual", user_id)
    # The pushed modal closed; the list underneath was redrawn with its hash.
    assert bot.emu.view_stack(list_id) == [list_id]
    update = bot.emu.wait_for("views.update")[-1]
    assert (update.args["view_id"], update.args["hash"]) == (list_id, before)
    assert "Deploy started" in list_text(bot, list_id)
    note = bot.emu.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == control["ts"]
    )
    assert (
        f"<@{user_id}> added a timeline entry (<!date^{int(expected.timestamp())}^{{time}}|"
        in note[-1].args["text"]
    )
    assert "Deploy started)" in note[-1].args["text"]
    assert bot.emu.wait_for("chat.update", where=lambda c: c.args.get("ts") == control["ts"])
    with bot.session() as session:
        kinds = [e.kind for e in session.exec(select(AuditEvent)).all()]
    assert kinds == ["created", "timeline.added"]
    assert_slack_accepted_everything(bot)


def test_picker_is_used_when_nothing_is_typed_and_typed_wins(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0CAROL", pm_id, control)
    picked = int(datetime(2026, 11, 21, 14, 30, tzinfo=UTC).timestamp())
    add(bot, "U0CAROL", list_id, form(None, text="Picked", pick=picked))
    add(bot, "U0CAROL", list_id, form("14:10", text="Typed", pick=picked))
    assert [(e.text, e.occurred_at.strftime("%H:%M")) for e in entries(bot, pm_id)] == [
        ("Typed", "14:10"),
        ("Picked", "14:30"),
    ]


@pytest.mark.parametrize(
    ("typed", "pick", "message"),
    [
        (None, None, "Type a time"),
        ("03/04 14:05", None, "ambiguous"),
        ("14:05 IST", None, "ambiguous"),
        ("after lunch", None, "has no time"),
        ("14.05", None, "no time of day"),
        ("2026-03-29 02:30", None, "does not exist"),
    ],
)
def test_unclear_times_are_field_errors_and_nothing_is_saved(
    bot: Harness, typed: str | None, pick: int | None, message: str
) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0ALICE", pm_id, control)
    entry_view = push_entry_modal(bot, "U0ALICE", list_id)
    body = submit(bot, "U0ALICE", entry_view, form(typed, pick=pick))
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [TIME_TEXT]
    assert message in body["errors"][TIME_TEXT]
    assert entries(bot, pm_id) == []
    # Slack accepted the errors (they name a real input block) and the modal stays open.
    assert bot.emu.calls_to("response_action")[-1].ok
    assert bot.emu.is_view_open(entry_view)


def test_over_long_text_is_rejected_at_the_field_not_truncated(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0ALICE", pm_id, control)
    entry_view = push_entry_modal(bot, "U0ALICE", list_id)
    body = submit(bot, "U0ALICE", entry_view, form("14:05", text="x" * 3001))
    assert body["response_action"] == "errors"
    assert "3001" in body["errors"][TEXT]
    assert entries(bot, pm_id) == []
    submit(bot, "U0ALICE", entry_view, form("14:05", text="x" * 3000))
    assert [len(e.text) for e in entries(bot, pm_id)] == [3000]
    assert_slack_accepted_everything(bot)


def test_entries_are_kept_in_time_order(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0ALICE", pm_id, control)
    for typed, text in (("15:40", "Resolved"), ("15:05", "Deploy"), ("15:20", "Alert fired")):
        add(bot, "U0ALICE", list_id, form(typed, text=text))
    assert [e.text for e in entries(bot, pm_id)] == ["Deploy", "Alert fired", "Resolved"]
    shown = list_text(bot, list_id)
    assert shown.index("Deploy") < shown.index("Alert fired") < shown.index("Resolved")


def test_someone_outside_the_incident_channel_cannot_add(bot: Harness) -> None:
    bot.emu.add_user("U0EVE", "eve", tz="UTC")
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0EVE", pm_id, control)
    bot.slack.block_action("U0EVE", Action.TIMELINE_ADD, view=list_id)
    bot.settle()
    assert bot.emu.calls_to("views.push") == []
    refusal = bot.emu.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "U0EVE")
    assert "incident channel" in refusal[-1].args["text"]


def test_double_submit_saves_one_entry(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0ALICE", pm_id, control)
    entry_view = push_entry_modal(bot, "U0ALICE", list_id)
    stored = bot.emu.views[entry_view]
    bot.slack.view_submission("U0ALICE", stored, form("14:05"), apply_response=False)
    bot.slack.view_submission("U0ALICE", stored, form("14:05"))
    bot.settle()
    assert len(entries(bot, pm_id)) == 1


def test_concurrent_adds_by_two_users_are_both_saved(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    views = {
        u: push_entry_modal(bot, u, open_timeline(bot, u, pm_id, control))
        for u in ("U0ALICE", "U0BOB")
    }
    go = threading.Barrier(2)
    statuses: list[int] = []

    def send(user_id: str, text: str) -> None:
        go.wait()
        statuses.append(
            bot.slack.view_submission(user_id, views[user_id], form("14:05", text=text)).status
        )

    threads = [threading.Thread(target=send, args=(u, f"by {u}")) for u in views]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bot.settle()
    assert statuses == [200, 200]
    assert sorted(e.created_by or "" for e in entries(bot, pm_id)) == ["U0ALICE", "U0BOB"]
    assert len(bot.emu.calls_to("views.update")) == 2
    assert_slack_accepted_everything(bot)


def test_a_stale_list_hash_is_retried_once_with_fresh_data(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    list_id = open_timeline(bot, "U0ALICE", pm_id, control)
    entry_view = push_entry_modal(bot, "U0ALICE", list_id)
    bot.emu.fail_next("views.update", "hash_conflict")
    submit(bot, "U0ALICE", entry_view, form("14:05"))
    calls = [c for c in bot.emu.calls if c.method == "views.update"]
    assert [c.response.get("error") for c in calls] == ["hash_conflict", None]
    assert "hash" in calls[0].args and "hash" not in calls[1].args
    assert "Deploy started" in list_text(bot, list_id)


# ---- editing and deleting --------------------------------------------------------------------


def test_edit_prefills_and_keeps_the_exact_time_when_untouched(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    at = datetime(2026, 11, 21, 14, 5, 42, tzinfo=UTC)
    [entry_id] = seed(bot, pm_id, (at, "Deploy startd", "U0BOB"))
    list_id = open_timeline(bot, "U0BOB", pm_id, control)
    edit_view = push_entry_modal(bot, "U0BOB", list_id, Action.TIMELINE_EDIT, f"{pm_id}:{entry_id}")
    initial = {
        b["block_id"]: b["element"].get("initial_value") for b in bot.emu.views[edit_view]["blocks"]
    }
    assert initial[TIME_TEXT] == "2026-11-21 09:05"
    assert initial[TEXT] == "Deploy startd"
    submit(bot, "U0BOB", edit_view, form("2026-11-21 09:05", text="Deploy started", actor="ci"))
    [entry] = entries(bot, pm_id)
    assert (entry.occurred_at, entry.text, entry.actor) == (at, "Deploy started", "ci")
    with bot.session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "timeline.edited")).one()
    assert event.detail["before"]["text"] == "Deploy startd"
    assert "edited a timeline entry" in bot.emu.wait_for("chat.postMessage")[-1].args["text"]


def test_creator_may_delete_own_entry(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    [entry_id] = seed(bot, pm_id, (STARTED, "Mine", "U0BOB"))
    list_id = open_timeline(bot, "U0BOB", pm_id, control)
    bot.slack.block_action(
        "U0BOB", Action.TIMELINE_DELETE, view=list_id, value=f"{pm_id}:{entry_id}"
    )
    bot.settle()
    assert entries(bot, pm_id) == []
    assert "No entries yet" in list_text(bot, list_id)
    with bot.session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.kind == "timeline.deleted")).one()
    assert (
        event.actor_id,
        event.detail["before"]["text"],
        event.detail["before"]["created_by"],
    ) == ("U0BOB", "Mine", "U0BOB")
    assert_slack_accepted_everything(bot)


def test_deleting_someone_elses_entry_needs_an_editor(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    [entry_id] = seed(bot, pm_id, (STARTED, "Alice's entry", "U0ALICE"))
    list_id = open_timeline(bot, "U0BOB", pm_id, control)
    bot.slack.block_action(
        "U0BOB", Action.TIMELINE_DELETE, view=list_id, value=f"{pm_id}:{entry_id}"
    )
    bot.settle()
    assert len(entries(bot, pm_id)) == 1
    [refusal] = bot.emu.ephemeral_messages
    assert (refusal["channel"], refusal["user_to"]) == ("C0INCIDENT", "U0BOB")
    assert "Only the post-mortem's author" in refusal["text"]
    # An editor (Alice owns the post-mortem) may delete anyone's entry.
    [other] = seed(bot, pm_id, (STARTED, "Bob's entry", "U0BOB"))
    alice_list = open_timeline(bot, "U0ALICE", pm_id, control)
    bot.slack.block_action(
        "U0ALICE", Action.TIMELINE_DELETE, view=alice_list, value=f"{pm_id}:{other}"
    )
    bot.settle()
    assert [e.text for e in entries(bot, pm_id)] == ["Alice's entry"]


# ---- paging ----------------------------------------------------------------------------------


def test_sixty_entries_page_within_slacks_block_limit(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    seed(
        bot,
        pm_id,
        *[(STARTED + timedelta(minutes=n), f"Step {n:02d}", "U0ALICE") for n in range(60)],
    )
    list_id = open_timeline(bot, "U0CAROL", pm_id, control)

    def shown() -> list[str]:
        return [
            line.split("\n")[1] for line in list_text(bot, list_id).split("\n*") if "Step" in line
        ]

    def click(block_id: str) -> None:
        block = next(b for b in bot.emu.views[list_id]["blocks"] if b.get("block_id") == block_id)
        bot.slack.block_action(
            "U0CAROL",
            Action.TIMELINE_PAGE,
            view=list_id,
            value=block["accessory"]["value"],
            block_id=block_id,
        )
        bot.settle()

    pages = []
    for _ in range(3):
        view = bot.emu.views[list_id]
        assert len(view["blocks"]) <= 60
        pages.append(shown())
        if any(b.get("block_id") == NAV_NEXT for b in view["blocks"]):
            click(NAV_NEXT)
    assert [p[0] for p in pages] == ["Step 00", "Step 20", "Step 40"]
    assert [len(p) for p in pages] == [20, 20, 20]
    assert not any(b.get("block_id") == NAV_NEXT for b in bot.emu.views[list_id]["blocks"])
    click(NAV_PREV)
    assert shown()[0] == "Step 20"
    assert_slack_accepted_everything(bot)


def test_a_new_entry_is_shown_on_its_page(bot: Harness) -> None:
    pm_id, control = make_postmortem(bot)
    seed(
        bot,
        pm_id,
        *[(STARTED + timedelta(minutes=n), f"Step {n:02d}", "U0ALICE") for n in range(45)],
    )
    list_id = open_timeline(bot, "U0CAROL", pm_id, control)
    add(bot, "U0CAROL", list_id, form("2026-11-21 14:44:30 UTC", text="Late arrival"))
    # 46 entries: the new one is the last, on the third page, which the list now shows.
    assert "Late arrival" in list_text(bot, list_id)
    assert json.loads(bot.emu.views[list_id]["private_metadata"])["page"] == 2
