"""The four section modals over signed HTTP: details, 5 Whys, impact and learnings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.slack.forms import base_id, fresh_id
from bot.slack.ids import Action, Block, DetailsField
from bot.slack.modals import impact, learnings, whys
from storage.tables import AuditEvent, ContributingFactor, Incident, Learning, Postmortem, Why
from tests.bot.opening import facts, open_postmortem
from tests.bot.test_review_publish import STARTED, make_postmortem
from tests.harness import Harness


def ts(minutes: int) -> int:
    """Unix seconds, `minutes` after the incident started."""
    return int((STARTED + timedelta(minutes=minutes)).timestamp())


def text_value(value: str | None) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def select_value(value: str | None) -> dict[str, Any]:
    option = {"value": value} if value else None
    return {"value": {"type": "static_select", "selected_option": option}}


def when(value: int | None) -> dict[str, Any]:
    return {"value": {"type": "datetimepicker", "selected_date_time": value}}


def user(value: str | None) -> dict[str, Any]:
    return {"value": {"type": "users_select", "selected_user": value}}


def users(values: list[str]) -> dict[str, Any]:
    return {"value": {"type": "multi_users_select", "selected_users": values}}


def open_section(bot: Harness, user_id: str, action: str, pm_id: int) -> dict[str, Any]:
    before = len(bot.emu.calls_to("views.open"))
    bot.slack.block_action(user_id, action, value=str(pm_id), channel_id="C0INCIDENT")
    bot.settle()
    call = bot.emu.wait_for("views.open", count=before + 1)[-1]
    return bot.emu.views[call.response["view"]["id"]]


def reference_of(bot: Harness, pm_id: int) -> str:
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        return session.get(Incident, pm.incident_id).reference


def details_values(reference: str, **over: dict[str, Any]) -> dict[str, Any]:
    values = {
        Block.TITLE: text_value("Checkout API returned 500s"),
        Block.SEVERITY: select_value("SEV2"),
        Block.SERVICES: text_value("payment-api"),
        DetailsField.REFERENCE: text_value(reference),
        DetailsField.COMMANDER: user("U0BOB"),
        DetailsField.FACILITATOR: user("U0ALICE"),
        DetailsField.REVIEWERS: users(["U0CAROL"]),
        DetailsField.ATTENDEES: users([]),
        DetailsField.DETECTION: select_value(None),
        Block.STARTED_AT: when(ts(0)),
        Block.DETECTED_AT: when(ts(4)),
        Block.ACKNOWLEDGED_AT: when(None),
        Block.MITIGATED_AT: when(None),
        Block.RESOLVED_AT: when(ts(50)),
        DetailsField.SUMMARY: text_value(None),
        DetailsField.MITIGATION: text_value(None),
        DetailsField.FIX: text_value(None),
    }
    return values | over


def thread_notes(bot: Harness, needle: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.emu.messages("C0INCIDENT")
        if m.get("thread_ts") and m.get("thread_ts") != m["ts"] and needle in m["text"]
    ]


def control_updates(bot: Harness) -> list[Any]:
    return [c for c in bot.emu.calls_to("chat.update") if c.args.get("channel") == "C0INCIDENT"]


def refusals_to(bot: Harness, user_id: str) -> list[str]:
    """What the bot told `user_id` privately: ephemerals, or a DM when there is no channel."""
    ephemeral = [
        c.args["text"] for c in bot.emu.calls_to("chat.postEphemeral") if c.args["user"] == user_id
    ]
    dms = [
        c.args["text"]
        for c in bot.emu.calls_to("chat.postMessage")
        if c.args.get("channel") in (user_id, bot.emu.im_channel(user_id))
    ]
    return ephemeral + dms


# ---- details -----------------------------------------------------------------------------


def test_details_edit_saves_audits_notes_and_refreshes(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    updates_before = len(control_updates(bot))
    values = details_values(
        "INC-2026-11-21-042",
        **{
            Block.TITLE: text_value("Checkout down after deploy"),
            Block.SEVERITY: select_value("P1"),
            Block.SERVICES: text_value("payment-api, postgres ,"),
            DetailsField.COMMANDER: user("U0DAN"),
            DetailsField.REVIEWERS: users(["U0CAROL", "U0BOB"]),
            DetailsField.ATTENDEES: users(["U0DAN"]),
            DetailsField.DETECTION: select_value("Customer report"),
            Block.ACKNOWLEDGED_AT: when(ts(6)),
            Block.MITIGATED_AT: when(ts(30)),
            DetailsField.SUMMARY: text_value("A deploy exhausted the DB pool."),
        },
    )
    response = bot.slack.view_submission("U0ALICE", view, values)
    assert response.status == 200
    assert not response.body.strip() or "errors" not in response.json()
    bot.settle()
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        incident = session.get(Incident, pm.incident_id)
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == "details")).all()
    assert incident.title == "Checkout down after deploy"
    assert incident.severity == 1
    assert incident.services == ["payment-api", "postgres"]
    assert incident.reference == "INC-2026-11-21-042"
    assert incident.detection_method == "Customer report"
    assert incident.acknowledged_at.replace(tzinfo=None) == (
        STARTED + timedelta(minutes=6)
    ).replace(tzinfo=None)
    assert pm.commander_id == "U0DAN"
    assert pm.reviewers == ["U0CAROL", "U0BOB"]
    assert pm.attendees == ["U0DAN"]
    assert pm.summary == "A deploy exhausted the DB pool."
    assert len(events) == 1 and events[0].actor_id == "U0ALICE"
    notes = thread_notes(bot, "edited the details")
    assert notes and "U0ALICE" in notes[0]["text"] and "title" in notes[0]["text"]
    assert len(control_updates(bot)) > updates_before


def test_details_detected_before_started_is_a_field_error(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    values = details_values(
        reference_of(bot, pm_id),
        **{Block.TITLE: text_value("Changed"), Block.DETECTED_AT: when(ts(-10))},
    )
    body = bot.slack.view_submission("U0ALICE", view, values).json()
    assert body["response_action"] == "errors"
    assert Block.DETECTED_AT in body["errors"]
    bot.settle()
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert session.get(Incident, pm.incident_id).title == "Checkout API returned 500s"
        assert session.exec(select(AuditEvent).where(AuditEvent.kind == "details")).all() == []


def test_details_reference_of_another_incident_is_refused(bot: Harness) -> None:
    other, _ = open_postmortem(
        bot,
        facts("Search was slow", "C0ENG", STARTED - timedelta(days=1), 3, ("search",)),
        owner_id="U0BOB",
        team_id=None,
    )
    taken = reference_of(bot, other)
    pm_id = make_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    body = bot.slack.view_submission("U0ALICE", view, details_values(taken)).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {DetailsField.REFERENCE}
    assert reference_of(bot, pm_id) != taken


def test_details_refused_to_non_editor(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    bot.slack.block_action("U0DAN", Action.OPEN_DETAILS, value=str(pm_id), channel_id="C0INCIDENT")
    bot.settle()
    refusal = bot.emu.wait_for("chat.postEphemeral")[-1]
    assert refusal.args["user"] == "U0DAN"
    assert bot.emu.calls_to("views.open") == []


def test_details_moving_resolution_moves_the_deadline(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    values = details_values(reference_of(bot, pm_id), **{Block.RESOLVED_AT: when(ts(120))})
    bot.slack.view_submission("U0ALICE", view, values)
    bot.settle()
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        incident = session.get(Incident, pm.incident_id)
    resolved = STARTED + timedelta(minutes=120)
    assert incident.resolved_at.replace(tzinfo=None) == resolved.replace(tzinfo=None)
    assert pm.due_at.replace(tzinfo=None) == (resolved + timedelta(hours=48)).replace(tzinfo=None)


# ---- 5 whys ------------------------------------------------------------------------------


def whys_values(answer: str | None, root_cause: str | None = None) -> dict[str, Any]:
    return {
        whys.ANSWER: text_value(answer),
        whys.ROOT_CAUSE: text_value(root_cause),
        whys.CAUSE_WHAT: text_value(None),
        whys.CAUSE_WHY: text_value(None),
        whys.CAUSE_HOW: text_value(None),
    }


def answer_label(view: dict[str, Any]) -> str:
    block = next(b for b in view["blocks"] if base_id(b.get("block_id", "")) == whys.ANSWER)
    return block["label"]["text"]


def test_whys_answer_updates_modal_with_next_question(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view = open_section(bot, "U0ALICE", Action.OPEN_WHYS, pm_id)
    assert answer_label(view).startswith("Why 1? Why did this happen: “Checkout API")
    body = bot.slack.view_submission(
        "U0ALICE", view, bot.typed(view, whys_values("The DB connection pool was exhausted."))
    ).json()
    assert body["response_action"] == "update"
    assert answer_label(body["view"]) == (
        "Why 2? Why did this happen: “The DB connection pool was exhausted”?"
    )
    bot.settle()
    assert answer_label(bot.emu.views[view["id"]]).startswith("Why 2?")
    assert thread_notes(bot, "answered why 1")


def test_five_whys_and_root_cause_are_saved_in_order(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view_id = open_section(bot, "U0ALICE", Action.OPEN_WHYS, pm_id)["id"]
    answers = ["Pool exhausted", "Pool too small", "Never tuned", "No metrics", "Not exported"]
    for answer in answers:
        response = bot.slack.view_submission("U0ALICE", view_id,
                                             bot.typed(view_id, whys_values(answer)))
        assert response.json()["response_action"] == "update"
        bot.settle()
    bot.slack.view_submission("U0ALICE", view_id,
                              bot.typed(view_id, whys_values(None, "No load test in release.")))
    bot.settle()
    with bot.session() as session:
        rows = session.exec(
            select(Why).where(Why.postmortem_id == pm_id).order_by(Why.position)
        ).all()
        pm = session.get(Postmortem, pm_id)
    assert [w.position for w in rows] == [1, 2, 3, 4, 5]
    assert [w.answer for w in rows] == answers
    assert rows[1].question == "Why did this happen: “Pool exhausted”?"
    assert pm.root_cause == "No load test in release."


def test_whys_empty_answer_with_root_cause_saves_and_closes(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view = open_section(bot, "U0ALICE", Action.OPEN_WHYS, pm_id)
    response = bot.slack.view_submission("U0ALICE", view,
                                         bot.typed(view, whys_values("", "No pool alerting.")))
    assert response.status == 200
    assert not response.body.strip() or "response_action" not in response.json()
    bot.settle()
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).root_cause == "No pool alerting."
        assert session.exec(select(Why)).all() == []
    assert not bot.emu.is_view_open(view["id"])
    assert thread_notes(bot, "set the systemic root cause")


def add_factor(
    bot: Harness, pm_id: int, whys_view_id: str, category: str | None = "Process"
) -> dict[str, Any]:
    before = len(bot.emu.calls_to("views.push"))
    bot.slack.block_action("U0ALICE", Action.WHYS_ADD_FACTOR, value=str(pm_id), view=whys_view_id)
    bot.settle()
    pushed = bot.emu.wait_for("views.push", count=before + 1)[-1].response["view"]["id"]
    response = bot.slack.view_submission(
        "U0ALICE",
        pushed,
        {
            whys.FACTOR_TEXT: text_value("Aggressive retries caused a thundering herd"),
            whys.FACTOR_CATEGORY: select_value(category),
            whys.FACTOR_SEVERITY: select_value("High"),
        },
    )
    bot.settle()
    return response.json() if response.body.strip() else {}


def test_contributing_factor_is_added_and_deleted(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view_id = open_section(bot, "U0ALICE", Action.OPEN_WHYS, pm_id)["id"]
    assert "errors" not in add_factor(bot, pm_id, view_id)
    with bot.session() as session:
        factor = session.exec(select(ContributingFactor)).one()
    assert (factor.text, factor.category, factor.severity) == (
        "Aggressive retries caused a thundering herd",
        "Process",
        "High",
    )
    assert thread_notes(bot, "added a contributing factor")

    bot.slack.block_action(
        "U0ALICE", Action.WHYS_DELETE_FACTOR, value=f"{pm_id}:{factor.id}", view=view_id
    )
    bot.settle()
    with bot.session() as session:
        assert session.exec(select(ContributingFactor)).all() == []
    assert thread_notes(bot, "deleted a contributing factor")


def test_factor_without_category_is_a_field_error(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view_id = open_section(bot, "U0ALICE", Action.OPEN_WHYS, pm_id)["id"]
    body = add_factor(bot, pm_id, view_id, category=None)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {whys.FACTOR_CATEGORY}
    with bot.session() as session:
        assert session.exec(select(ContributingFactor)).all() == []


# ---- impact ------------------------------------------------------------------------------


def impact_values(**over: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        impact.DURATION: text_value("50"),
        impact.SLO: text_value(None),
    }
    values |= {block_id: text_value(None) for block_id in impact.TEXT_FIELDS}
    values |= {block_id: text_value(value) for block_id, value in over.items()}
    return values


def test_impact_shows_computed_duration_and_saves_fields(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view = open_section(bot, "U0ALICE", Action.OPEN_IMPACT, pm_id)
    duration = next(b for b in view["blocks"] if b.get("block_id") == impact.DURATION)
    assert duration["element"]["initial_value"] == "50"
    values = impact_values(
        **{
            impact.SLO: "99.9%",
            "pm.impact.users": "~5,000 customers",
            "pm.impact.revenue": "$150 estimated",
        }
    )
    response = bot.slack.view_submission("U0ALICE", view, values)
    assert not response.body.strip() or "errors" not in response.json()
    bot.settle()
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == "impact")).all()
    assert pm.slo_target == 99.9
    assert pm.users_affected == "~5,000 customers"
    assert pm.revenue_impact == "$150 estimated"
    assert pm.impact_minutes is None  # unchanged from the computed 50
    assert len(events) == 1
    assert thread_notes(bot, "updated the impact")


def test_impact_invalid_numbers_are_field_errors(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view = open_section(bot, "U0ALICE", Action.OPEN_IMPACT, pm_id)
    for slo in ("abc", "150"):
        body = bot.slack.view_submission(
            "U0ALICE", view, impact_values(**{impact.SLO: slo, "pm.impact.users": "many"})
        ).json()
        assert body["response_action"] == "errors"
        assert set(body["errors"]) == {impact.SLO}
    body = bot.slack.view_submission(
        "U0ALICE", view, impact_values(**{impact.DURATION: "ten"})
    ).json()
    assert set(body["errors"]) == {impact.DURATION}
    bot.settle()
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
    assert pm.slo_target is None and pm.users_affected is None and pm.impact_minutes is None


def test_impact_text_over_slack_limit_is_refused_at_the_field(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view = open_section(bot, "U0ALICE", Action.OPEN_IMPACT, pm_id)
    body = bot.slack.view_submission(
        "U0ALICE", view, impact_values(**{"pm.impact.customer": "x" * 3001})
    ).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"pm.impact.customer"}
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).customer_impact is None


# ---- learnings ---------------------------------------------------------------------------


def add_learnings(
    bot: Harness, user_id: str, pm_id: int, items: str, kind: str = "went_poorly"
) -> tuple[dict[str, Any], dict[str, Any]]:
    view = open_section(bot, user_id, Action.OPEN_LEARNINGS, pm_id)
    response = bot.slack.view_submission(
        user_id, view,
        bot.typed(view, {learnings.KIND: select_value(kind), learnings.ITEMS: text_value(items)}),
    )
    bot.settle()
    return view, response.json() if response.body.strip() else {}


def test_each_line_becomes_a_learning_of_the_chosen_kind(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    _, body = add_learnings(
        bot, "U0ALICE", pm_id, "- Rollback took 20 minutes\n• Runbook was stale\n\nNo canary"
    )
    assert body["response_action"] == "update"
    with bot.session() as session:
        rows = session.exec(select(Learning).order_by(Learning.id)).all()
    assert [(r.kind, r.text, r.created_by) for r in rows] == [
        ("went_poorly", "Rollback took 20 minutes", "U0ALICE"),
        ("went_poorly", "Runbook was stale", "U0ALICE"),
        ("went_poorly", "No canary", "U0ALICE"),
    ]
    assert thread_notes(bot, "added 3 entries")


def test_channel_member_adds_but_cannot_delete_others_entries(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    add_learnings(bot, "U0ALICE", pm_id, "Alert fired fast", kind="went_well")
    dan_view, body = add_learnings(bot, "U0DAN", pm_id, "We got lucky with traffic", "lucky")
    assert body["response_action"] == "update"
    with bot.session() as session:
        alice = session.exec(select(Learning).where(Learning.created_by == "U0ALICE")).one()
        dan = session.exec(select(Learning).where(Learning.created_by == "U0DAN")).one()
    assert dan.kind == "lucky"

    bot.slack.block_action(
        "U0DAN", Action.LEARNING_DELETE, value=f"{pm_id}:{alice.id}", view=dan_view["id"]
    )
    bot.settle()
    assert refusals_to(bot, "U0DAN")
    with bot.session() as session:
        assert session.get(Learning, alice.id) is not None

    alice_view = open_section(bot, "U0ALICE", Action.OPEN_LEARNINGS, pm_id)
    bot.slack.block_action(
        "U0ALICE", Action.LEARNING_DELETE, value=f"{pm_id}:{alice.id}", view=alice_view["id"]
    )
    bot.settle()
    with bot.session() as session:
        assert session.get(Learning, alice.id) is None
        assert session.get(Learning, dan.id) is not None
    assert thread_notes(bot, "deleted a learning")


def test_empty_learnings_are_a_field_error(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    _, body = add_learnings(bot, "U0ALICE", pm_id, "  \n - \n")
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {fresh_id(learnings.ITEMS, 0)}
    with bot.session() as session:
        assert session.exec(select(Learning)).all() == []


def test_details_choose_document_template(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    view = open_section(bot, "U0ALICE", Action.OPEN_DETAILS, pm_id)
    template_block = next(b for b in view["blocks"] if b["block_id"] == DetailsField.TEMPLATE)
    offered = {o["value"] for o in template_block["element"]["options"]}
    assert {"comprehensive", "bilko", "tz010", "lean", "enterprise"} <= offered
    values = details_values(
        reference_of(bot, pm_id), **{DetailsField.TEMPLATE: select_value("lean")}
    )
    assert bot.slack.view_submission("U0ALICE", view, values).status == 200
    bot.settle()
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).template == "lean"
