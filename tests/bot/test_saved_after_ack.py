"""A timeline entry is acked before it is saved (bot/slack/inbox.py): the modal closes at once,
yet a process that dies between the ack and the save loses nothing, and nothing is saved or
announced twice. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.jobs.sweep import run_sweep
from storage.queries.inbox import MAX_ATTEMPTS
from storage.tables import Submission
from tests.bot.test_sections import refusals_to
from tests.bot.test_timeline import entries, form, make_postmortem, open_timeline, push_entry_modal
from tests.harness import FakeClock, Harness, running_bot


@pytest.fixture
def bot(db_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[Harness]:
    with running_bot(db_url, clock, tmp_path) as harness:
        yield harness


def inbox(bot: Harness) -> list[Submission]:
    with bot.session() as session:
        return list(session.exec(select(Submission)).all())


def notes_about(bot: Harness, text: str) -> list[str]:
    return [c.args["text"] for c in bot.emu.calls_to("chat.postMessage")
            if text in str(c.args.get("text"))]


def entry_form(bot: Harness) -> tuple[int, dict[str, Any]]:
    pm_id, control = make_postmortem(bot)
    view_id = push_entry_modal(bot, "U0ALICE", open_timeline(bot, "U0ALICE", pm_id, control))
    return pm_id, bot.emu.views[view_id]


def submitted_as_the_process_dies(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, view: dict[str, Any], text: str,
) -> tuple[Any, list[Callable[[], None]]]:
    """The entry is submitted and the process dies right after its ack: the work the ack
    queued never runs. The response, and that lost work."""
    lost: list[Callable[[], None]] = []
    with monkeypatch.context() as patched:
        patched.setattr(bot.deps.background, "submit", lambda work, **_: lost.append(work))
        response = bot.slack.view_submission("U0ALICE", view, form("14:05", text=text))
    return response, lost


def test_the_modal_closes_before_the_save_and_the_sweep_saves_what_a_crash_left(
    bot: Harness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pm_id, view = entry_form(bot)
    response, lost = submitted_as_the_process_dies(bot, monkeypatch, view, "Paged DBA")
    assert response.status == 200 and not response.body.strip()  # the ack: the modal closes
    assert lost and entries(bot, pm_id) == []
    [waiting] = inbox(bot)
    assert waiting.callback_id == view["callback_id"]

    # A sweep right after leaves it to the live save it cannot tell is dead...
    run_sweep(bot.deps, bot.client, now=clock.advance(seconds=20))
    assert entries(bot, pm_id) == [] and len(inbox(bot)) == 1
    # ...and saves it once it is orphaned, thread note included; later sweeps do nothing.
    report = run_sweep(bot.deps, bot.client, now=clock.advance(minutes=2))
    bot.settle()
    run_sweep(bot.deps, bot.client, now=clock.advance(minutes=5))
    bot.settle()
    assert report.forms_saved == 1
    assert [(e.text, e.created_by) for e in entries(bot, pm_id)] == [("Paged DBA", "U0ALICE")]
    assert inbox(bot) == []
    assert len(notes_about(bot, "added a timeline entry")) == 1


def test_a_submission_found_again_after_its_save_is_not_saved_twice(
    bot: Harness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pm_id, view = entry_form(bot)
    _, lost = submitted_as_the_process_dies(bot, monkeypatch, view, "Rolled back")
    [row] = inbox(bot)
    for work in lost:  # the live save runs after all
        work()
    bot.settle()
    [saved] = entries(bot, pm_id)
    # As if its inbox row had outlived the save (it cannot: the save's transaction deletes it).
    with bot.session() as session:
        session.add(Submission(key=row.key, callback_id=row.callback_id, team_id=row.team_id,
                               body=row.body, received_at=row.received_at))
        session.commit()
    run_sweep(bot.deps, bot.client, now=clock.advance(minutes=2))
    bot.settle()
    assert [e.id for e in entries(bot, pm_id)] == [saved.id]
    assert inbox(bot) == []
    assert len(notes_about(bot, "added a timeline entry")) == 1


def test_a_double_click_is_written_down_and_saved_once(bot: Harness) -> None:
    pm_id, view = entry_form(bot)
    first = bot.slack.view_submission("U0ALICE", view, form("14:05"), apply_response=False)
    second = bot.slack.view_submission("U0ALICE", view, form("14:05"))
    bot.settle()
    assert first.status == second.status == 200
    assert len(entries(bot, pm_id)) == 1
    assert inbox(bot) == []


def test_a_bad_field_is_still_shown_at_the_field_and_nothing_is_written_down(
    bot: Harness,
) -> None:
    pm_id, view = entry_form(bot)
    body = bot.slack.view_submission("U0ALICE", view, form("half past never")).json()
    assert body["response_action"] == "errors"
    bot.settle()
    assert entries(bot, pm_id) == [] and inbox(bot) == []


def test_a_save_that_fails_unexpectedly_is_retried_then_given_back_to_its_author(
    bot: Harness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pm_id, view = entry_form(bot)
    import flows.timeline_entries as timeline_entries

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("database went away")

    with monkeypatch.context() as patched:
        patched.setattr(timeline_entries, "add_entry", broken)
        bot.slack.view_submission("U0ALICE", view, form("14:05", text="Failover started"))
        bot.settle()
        assert entries(bot, pm_id) == []
        assert [s.attempts for s in inbox(bot)] == [1]
        assert refusals_to(bot, "U0ALICE") == []  # not told yet: it will be tried again
        for _ in range(MAX_ATTEMPTS):
            run_sweep(bot.deps, bot.client, now=clock.advance(minutes=2))
            bot.settle()
        [told] = [t for t in refusals_to(bot, "U0ALICE") if "was not saved" in t]
        assert "> Failover started" in told and "reference" in told
        assert [s.attempts for s in inbox(bot)] == [MAX_ATTEMPTS]  # kept, no longer tried

    # The database is back: what is still retriable is saved by the next sweep.
    pm2, view2 = entry_form(bot)
    with monkeypatch.context() as patched:
        patched.setattr(timeline_entries, "add_entry", broken)
        bot.slack.view_submission("U0ALICE", view2, form("14:10", text="DNS flushed"))
        bot.settle()
    run_sweep(bot.deps, bot.client, now=clock.advance(minutes=2))
    bot.settle()
    assert [e.text for e in entries(bot, pm2)] == ["DNS flushed"]
