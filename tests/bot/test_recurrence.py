""""It happened again" through Slack: the day-30 DM's button asks for the new incident, the
report is kept, both threads link each other, the owner's manager hears it, and the
program's recurrence rate counts it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.jobs.sweep import run_sweep
from bot.slack.ids import Action, RecurrenceField
from flows.metrics import tracker_metrics
from storage.queries.tracker import EVERY_WORKSPACE
from storage.tables import Incident, Postmortem, Recurrence
from tests.bot.opening import facts, open_postmortem
from tests.bot.test_action_items import dms, thread_notes
from tests.bot.test_closing import items, notes, publish
from tests.bot.test_review_publish import make_postmortem
from tests.harness import Harness


def day30_question(bot: Harness) -> dict[str, Any]:
    bot.clock.advance(days=30, hours=1)
    run_sweep(bot.deps, bot.client)
    return next(m for m in reversed(dms(bot, "U0ALICE"))
                if Action.FOLLOWUP_RECURRED in str(m.get("blocks")))


def click_recurred(bot: Harness, question: dict[str, Any]) -> dict[str, Any]:
    button = next(e for b in question["blocks"] if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"] == Action.FOLLOWUP_RECURRED)
    before = len(bot.emu.calls_to("views.open"))
    bot.slack.block_action("U0ALICE", Action.FOLLOWUP_RECURRED, value=button["value"],
                           message=question, channel_id=bot.emu.im_channel("U0ALICE"))
    call = bot.emu.wait_for("views.open", count=before + 1)[-1]
    return bot.emu.views[call.response["view"]["id"]]


def test_it_happened_again_links_the_new_incident_and_tells_the_manager(bot: Harness) -> None:
    pm_id = make_postmortem(bot)  # Alice owns it; the policy makes Bob engineering manager
    publish(bot, pm_id)
    question = day30_question(bot)
    new_id, _ = open_postmortem(bot, facts(title="Checkout 500s again",
                                           started=bot.clock() - timedelta(hours=3)))
    with bot.session() as session:
        new = session.get(Postmortem, new_id)
        reference = session.get(Incident, new.incident_id).reference  # type: ignore[union-attr]

    modal = click_recurred(bot, question)
    assert modal["title"]["text"] == "It happened again"
    field = RecurrenceField.INCIDENT.value
    bad = bot.slack.view_submission("U0ALICE", modal, {field: {"value": "https://a b"}})
    assert "web link" in bad.json()["errors"][field]
    bot.slack.view_submission("U0ALICE", modal, {field: {"value": reference.lower()}})
    bot.settle()

    with bot.session() as session:
        [row] = session.exec(select(Recurrence)).all()
    assert (row.postmortem_id, row.incident_id, row.reported_by, row.reported_at) == (
        pm_id, new.incident_id, "U0ALICE", bot.clock())
    said = [n for n in notes(bot, pm_id) if "the incident *recurred*" in n]
    assert said[-1].startswith("<@U0ALICE> answered the day-30 check-in: :rotating_light:")
    assert "Checkout 500s again" in said[-1] and "app_redirect?channel=C0INCIDENT" in said[-1]
    back = [n for n in thread_notes(bot, new_id) if n.startswith(":repeat:")]
    assert len(back) == 1 and "This incident is a recurrence of" in back[0]
    manager = [m["text"] for m in dms(bot, "U0BOB") if "happened again" in m["text"]]
    assert len(manager) == 1 and "<@U0ALICE>" in manager[0] and reference in manager[0]
    # The DM's question is answered in place.
    answered = next(m for m in dms(bot, "U0ALICE") if m["ts"] == question["ts"])
    assert Action.FOLLOWUP_RECURRED not in str(answered["blocks"])
    assert items(bot)  # the post-mortem keeps its items; it closes only when they are done

    metrics = tracker_metrics(bot.session(), team_id=EVERY_WORKSPACE, now=bot.clock())
    # The new incident is a recurrence (different services: by the report alone).
    assert (metrics.incidents, metrics.recurring_incidents) == (2, 1)
