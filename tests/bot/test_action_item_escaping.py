"""User text can mention nobody by accident: every action-item message, DM, reminder and modal
escapes titles, criteria, reasons, references and tracker errors, in blocks and in `text`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from bot.slack import action_item_news as news
from bot.slack.meta import Meta
from bot.slack.modals.action_item_views import build_list_modal
from bot.slack.reminders import views
from bot.slack.reminders.dm_views import build_due_modal, build_owner_dm, build_wont_do_modal
from bot.slack.trackers.views import build_push_failed, build_pushed_note
from flows.action_item_changes import ItemChange
from storage.record import PostmortemRecord
from tests.bot.test_action_items import add_item, dms, start_pm, thread_notes
from tests.flows.factories import NOW, action, incident, postmortem
from tests.harness import Harness

NASTY = "<!channel> <!here|here> <!everyone> <@U0CAROL> <https://evil.test|click> & co"
RAW = ("<!channel", "<!here", "<!everyone", "<@U0CAROL", "<https://evil")


def leaks(*found: Any) -> list[str]:
    text = json.dumps(found, ensure_ascii=False)
    return [raw for raw in RAW if raw in text]


def nasty_item(**kw: Any) -> Any:
    return action(1, id=7, title=f"Alert {NASTY}", success_criteria=NASTY,
                  wont_do_reason=NASTY, tracker_url="https://github.test/1",
                  tracker_ref=f"github:{NASTY}#1", **kw)


def built() -> list[tuple[str, Any]]:
    pm = postmortem(channel_id="C0INCIDENT", message_ts="1.2", status="published")
    inc = incident(reference=f"INC-{NASTY}", title=NASTY)
    item, done = nasty_item(), nasty_item(status="wont_do")
    rows = [(item, pm, inc)]
    change = ItemChange(done, pm, inc, changes=["status → won't do"], before_due=None)
    record = PostmortemRecord(incident=inc, postmortem=pm, action_items=[item, done])
    return [
        ("owner DM", build_owner_dm(done, inc, note="n")),
        ("due modal", build_due_modal(item, Meta(pm_id=1))),
        ("won't-do modal", build_wont_do_modal(item, Meta(pm_id=1))),
        ("list", build_list_modal(record, tz="UTC", now=NOW, trackers=["github"])),
        ("deadline", views.build_deadline_reminder(pm, inc, now=NOW)),
        ("escalation", views.build_escalation(pm, inc, stage=2, now=NOW)),
        ("nudge", views.build_nudge("U0BOB", rows, today=date(2026, 3, 20))),
        ("follow-up", views.build_follow_up(pm, inc, [item], scope="recurrence", days=30,
                                            reminder_id=3)),
        ("digest", views.build_digest(rows, first=date(2026, 3, 20), last=date(2026, 3, 26))),
        ("push failed", build_push_failed(7, 1, NASTY, "github", NASTY)),
        ("pushed", build_pushed_note(1, NASTY, "github", "https://x.test", f"github:{NASTY}")),
        ("notes", [news.added_note(item), news.status_note(change), news.updated_note(change),
                   news.due_note(change),
                   news.tracker_closed_note(change, ref=f"github:{NASTY}", via="GitHub")]),
    ]


@pytest.mark.parametrize(("name", "message"), built(), ids=[n for n, _ in built()])
def test_builders_escape_user_text(name: str, message: Any) -> None:
    assert leaks(message) == []
    assert "&lt;!channel&gt;" in json.dumps(message, ensure_ascii=False)


def test_nothing_the_bot_sent_pings_anyone(bot: Harness) -> None:
    pm_id = start_pm(bot)
    add_item(bot, pm_id, title=f"Alert {NASTY}", criteria=NASTY)
    assert leaks([c.args for c in bot.emu.calls]) == []
    assert "&lt;!channel&gt;" in thread_notes(bot, pm_id)[-1]
    assert "&lt;!channel&gt;" in dms(bot, "U0BOB")[-1]["text"]
