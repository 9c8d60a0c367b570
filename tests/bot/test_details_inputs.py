"""Details over signed HTTP: the inputs issue 12 added (root cause identified, the alert, how
recovery was verified, the review meeting, the draft summary), and who may save them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.slack.ids import Action, Block, DetailsField
from storage.tables import AuditEvent, Incident, Postmortem
from tests.bot.opening import STARTED, open_postmortem
from tests.bot.test_sections import (
    details_values,
    open_section,
    reference_of,
    refusals_to,
    text_value,
    thread_notes,
    ts,
    users,
    when,
)
from tests.bot.test_timeline import assert_slack_accepted_everything
from tests.harness import Harness


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def stored(bot: Harness, pm_id: int) -> tuple[Postmortem, Incident]:
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        incident = session.get(Incident, pm.incident_id)
        assert incident is not None
        return pm, incident


def test_empty_summary_is_offered_a_draft_and_every_text_states_its_limit(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    summary = block(view, DetailsField.SUMMARY)
    # Alice is in Berlin: the draft says when it started in her zone, the title as typed.
    assert summary["element"]["initial_value"] == (
        "On 2026-11-21 at 15:00 CET, an incident occurred: Checkout API returned 500s. "
        "User impact lasted 50 min."
    )
    assert "draft" in summary["hint"]["text"]
    for b in view["blocks"]:
        if b["element"]["type"] == "plain_text_input" and b["block_id"] != (
            DetailsField.MEETING_MINUTES
        ):
            limit = b["element"]["max_length"]
            assert f"Up to {limit:,} characters." in b["hint"]["text"], b["block_id"]
    for new in (Block.IDENTIFIED_AT, DetailsField.ALERT_NAME, DetailsField.ALERT_SOURCE,
                DetailsField.ALERT_URL, DetailsField.VALIDATION, DetailsField.MEETING_AT,
                DetailsField.MEETING_MINUTES, DetailsField.ATTENDEES):
        assert block(view, new)
    assert_slack_accepted_everything(bot)


def test_an_authors_summary_is_shown_as_written(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        pm.summary = "Our own words."
        session.add(pm)
        session.commit()
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    assert block(view, DetailsField.SUMMARY)["element"]["initial_value"] == "Our own words."


def test_new_inputs_are_saved_audited_and_noted(bot: Harness) -> None:
    pm_id, control_ts = open_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    values = details_values(reference_of(bot, pm_id), **{
        Block.IDENTIFIED_AT: when(ts(18)),
        DetailsField.ALERT_NAME: text_value("CheckoutErrorRate"),
        DetailsField.ALERT_SOURCE: text_value("Prometheus"),
        DetailsField.ALERT_URL: text_value("https://prometheus.example.com/alerts"),
        DetailsField.VALIDATION: text_value("Error rate under 0.1% for 30 minutes."),
        DetailsField.MEETING_AT: when(ts(24 * 60)),
        DetailsField.MEETING_MINUTES: text_value("45"),
        DetailsField.ATTENDEES: users(["U0BOB", "U0DAN", "U0BOB"]),
    })
    response = bot.slack.view_submission("U0ALICE", view, values)
    assert not response.body.strip(), response.body
    bot.settle()
    pm, incident = stored(bot, pm_id)
    assert incident.identified_at == STARTED + timedelta(minutes=18)
    assert (incident.alert_name, incident.alert_source, incident.alert_url) == (
        "CheckoutErrorRate", "Prometheus", "https://prometheus.example.com/alerts")
    assert pm.validation == "Error rate under 0.1% for 30 minutes."
    assert pm.meeting_at == STARTED + timedelta(days=1)
    assert (pm.meeting_minutes, pm.attendees) == (45, ["U0BOB", "U0DAN"])
    with bot.session() as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.kind == "details")).all()
    assert {"identified_at", "alert_name", "validation", "meeting_at"} <= set(
        event.detail["fields"])
    [note] = thread_notes(bot, "edited the details")
    assert note["thread_ts"] == control_ts
    assert "root cause identified" in note["text"] and "meeting length" in note["text"]
    # Reopened, the form shows what was saved.
    again = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    assert block(again, DetailsField.MEETING_MINUTES)["element"]["initial_value"] == "45"
    assert block(again, Block.IDENTIFIED_AT)["element"]["initial_date_time"] == ts(18)


def test_bad_alert_link_meeting_length_and_identified_time_are_field_errors(
    bot: Harness,
) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    values = details_values(reference_of(bot, pm_id), **{
        Block.IDENTIFIED_AT: when(ts(-5)),
        DetailsField.ALERT_URL: text_value("javascript:alert(1)"),
        DetailsField.MEETING_MINUTES: text_value("an hour"),
        DetailsField.VALIDATION: text_value("x" * 3001),
    })
    body = bot.slack.view_submission("U0ALICE", view, values).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {Block.IDENTIFIED_AT, DetailsField.ALERT_URL,
                                   DetailsField.MEETING_MINUTES,
                                   DetailsField.VALIDATION}
    bot.settle()
    pm, incident = stored(bot, pm_id)
    assert incident.alert_url is None and incident.identified_at is None
    assert pm.meeting_minutes is None and pm.validation is None


def test_forged_choices_are_refused_at_their_fields(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    values = details_values(reference_of(bot, pm_id))
    values[DetailsField.COMMANDER] = {"value": {"type": "users_select",
                                                "selected_user": "x" * 300}}
    values[DetailsField.FACILITATOR] = {"value": {"type": "multi_users_select",
                                                  "selected_users": ["U0BOB"]}}
    values[DetailsField.DETECTION] = {"value": {"type": "static_select",
                                                "selected_option": {"value": "Tea leaves"}}}
    body = bot.slack.view_submission("U0ALICE", view, values).json()
    assert set(body["errors"]) == {DetailsField.COMMANDER, DetailsField.FACILITATOR,
                                   DetailsField.DETECTION}


def test_another_workspace_and_a_non_editor_are_refused_and_nothing_is_stored(
    bot: Harness,
) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    values = details_values(reference_of(bot, pm_id),
                            **{Block.TITLE: text_value("<!channel> hijacked")})
    outsider = bot.slack.for_team("T0OTHER")
    # The button: refused before a modal opens.
    outsider.block_action("U0ALICE", Action.OPEN_DETAILS, value=str(pm_id),
                          channel_id="C0INCIDENT")
    bot.slack.block_action("U0DAN", Action.OPEN_DETAILS, value=str(pm_id),
                           channel_id="C0INCIDENT")
    bot.settle()
    assert len(bot.emu.calls_to("views.open")) == 1
    assert any("another workspace" in text for text in refusals_to(bot, "U0ALICE"))
    assert any("Only the post-mortem's author" in text for text in refusals_to(bot, "U0DAN"))
    # The submission: refused at the form.
    for client, user_id, words in ((outsider, "U0ALICE", "another workspace"),
                                   (bot.slack, "U0DAN", "Only the post-mortem's author")):
        body = client.view_submission(user_id, view, values, apply_response=False).json()
        assert body["response_action"] == "errors"
        assert words in next(iter(body["errors"].values()))
    bot.settle()
    assert stored(bot, pm_id)[1].title == "Checkout API returned 500s"
    with bot.session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.kind == "details")).all() == []
    assert thread_notes(bot, "edited the details") == []
