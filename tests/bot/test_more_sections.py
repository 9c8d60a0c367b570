"""The control message's "More" menu over signed HTTP: communication, references, supporting
data and follow-up, financial questions and the ARB checklist."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.slack.forms import base_id
from bot.slack.ids import (
    Action,
    Callback,
    CommunicationField,
    ComplianceField,
    FinanceField,
    ReferenceField,
    SupportingField,
)
from storage.db import session_scope
from storage.tables import AuditEvent, ComplianceTick, Postmortem, Reference
from tests.bot.opening import open_postmortem
from tests.bot.paging import page_through, section_texts
from tests.bot.test_sections import refusals_to, text_value, thread_notes
from tests.bot.test_timeline import assert_slack_accepted_everything
from tests.harness import Harness


def control_message(bot: Harness, ts: str | None) -> dict[str, Any]:
    return next(m for m in bot.emu.messages("C0INCIDENT") if m["ts"] == ts)


def more_menu(message: dict[str, Any]) -> dict[str, Any]:
    return next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == Action.OPEN_MORE)


def open_more(bot: Harness, user_id: str, pm_id: int, section: str,
              client: Any = None) -> dict[str, Any] | None:
    """Pick `section` in the control message's "More" menu; the modal it opened, if any."""
    before = len(bot.emu.calls_to("views.open"))
    (client or bot.slack).block_action(user_id, Action.OPEN_MORE, value=f"{pm_id}:{section}",
                                       channel_id="C0INCIDENT")
    bot.settle()
    calls = bot.emu.calls_to("views.open")
    if len(calls) == before:
        return None
    return bot.emu.views[calls[-1].response["view"]["id"]]


def events(bot: Harness, kind: str) -> list[AuditEvent]:
    with bot.session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.kind == kind)).all())


def pm_row(bot: Harness, pm_id: int) -> Postmortem:
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        return pm


def test_the_more_menu_offers_every_section_and_each_opens(bot: Harness) -> None:
    pm_id, ts = open_postmortem(bot)
    menu = more_menu(control_message(bot, ts))
    sections = [o["value"].split(":")[1] for o in menu["options"]]
    assert sections == ["communication", "references", "supporting", "finance", "compliance"]
    assert all(o["value"].startswith(f"{pm_id}:") for o in menu["options"])
    callbacks = []
    for section in sections:
        view = open_more(bot, "U0ALICE", pm_id, section)
        assert view is not None
        callbacks.append(view["callback_id"])
    assert callbacks == [Callback.COMMUNICATION, Callback.REFERENCES, Callback.SUPPORTING,
                         Callback.FINANCE, Callback.COMPLIANCE]
    assert_slack_accepted_everything(bot)


def test_communication_is_saved_audited_and_noted(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_more(bot, "U0ALICE", pm_id, "communication")
    assert view is not None
    hints = [b["hint"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert all("Up to 3,000 characters." in hint for hint in hints)
    response = bot.slack.view_submission("U0ALICE", view, {
        CommunicationField.STATUS_PAGE: text_value("https://status.example.com/1"),
        CommunicationField.STAKEHOLDERS: text_value("Support, leadership"),
        CommunicationField.DISTRIBUTION: text_value("Engineering\nSupport"),
    })
    assert not response.body.strip()
    bot.settle()
    pm = pm_row(bot, pm_id)
    assert (pm.status_page, pm.stakeholders, pm.distribution) == (
        "https://status.example.com/1", "Support, leadership", "Engineering\nSupport")
    [event] = events(bot, "communication")
    assert event.actor_id == "U0ALICE"
    assert event.detail["fields"] == ["stakeholders", "status_page", "distribution"]
    [note] = thread_notes(bot, "updated the communication")
    assert "status page" in note["text"] and "stakeholders notified" in note["text"]


def test_communication_text_over_the_limit_is_refused_at_its_field(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_more(bot, "U0ALICE", pm_id, "communication")
    body = bot.slack.view_submission("U0ALICE", view, {
        CommunicationField.STATUS_PAGE: text_value("ok"),
        CommunicationField.CUSTOMER_NOTICE: text_value("x" * 3001),
    }).json()
    assert body["errors"].keys() == {CommunicationField.CUSTOMER_NOTICE}
    assert pm_row(bot, pm_id).status_page is None
    assert events(bot, "communication") == []


def test_supporting_data_and_follow_up(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_more(bot, "U0ALICE", pm_id, "supporting")
    bot.slack.view_submission("U0ALICE", view, {
        SupportingField.LOG_EXCERPTS: text_value("ERROR pool exhausted <@U0BOB>"),
        SupportingField.REVIEW_CADENCE: text_value("Weekly in sprint planning"),
        SupportingField.GLOSSARY: text_value("Pool: shared connections"),
    })
    bot.settle()
    pm = pm_row(bot, pm_id)
    assert pm.log_excerpts == "ERROR pool exhausted <@U0BOB>"
    assert (pm.review_cadence, pm.glossary) == ("Weekly in sprint planning",
                                               "Pool: shared connections")
    assert thread_notes(bot, "updated the supporting data and follow-up")
    assert len(events(bot, "supporting")) == 1


def modules(*keys: str) -> dict[str, Any]:
    return {"value": {"type": "multi_static_select",
                      "selected_options": [{"value": k} for k in keys]}}


def test_financial_questions(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_more(bot, "U0ALICE", pm_id, "finance")
    body = bot.slack.view_submission("U0ALICE", view, {
        FinanceField.MODULES: modules("none", "vat"),
    }, apply_response=False).json()
    assert body["errors"].keys() == {FinanceField.MODULES}
    bot.slack.view_submission("U0ALICE", view, {
        FinanceField.MODULES: modules("invoice_calc", "double_entry"),
        FinanceField.CORRUPTION: text_value("No"),
        FinanceField.PRECISION: text_value("Yes, reconciled to the cent"),
    })
    bot.settle()
    pm = pm_row(bot, pm_id)
    assert pm.finance_modules == ["invoice_calc", "double_entry"]
    assert (pm.finance_corruption, pm.finance_precision) == ("No", "Yes, reconciled to the cent")
    assert thread_notes(bot, "updated the financial questions")
    again = open_more(bot, "U0ALICE", pm_id, "finance")
    chosen = next(b for b in again["blocks"] if b["block_id"] == FinanceField.MODULES)
    assert [o["value"] for o in chosen["element"]["initial_options"]] == [
        "double_entry", "invoice_calc"]


def ticks(bot: Harness, pm_id: int) -> set[str]:
    with bot.session() as session:
        rows = session.exec(select(ComplianceTick).where(ComplianceTick.postmortem_id == pm_id))
        return {t.item for t in rows}


def test_arb_checklist_ticks_and_unticks_and_the_control_message_follows(bot: Harness) -> None:
    pm_id, ts = open_postmortem(bot)
    with session_scope(bot.deps.sessions) as session:
        pm = session.get(Postmortem, pm_id)
        pm.template = "enterprise"
    view = open_more(bot, "U0ALICE", pm_id, "compliance")
    choose = {ComplianceField.ITEMS: {"value": {"type": "checkboxes", "selected_options": [
        {"value": "arb_shared"}, {"value": "tickets_created"}, {"value": "incident_log_linked"}]}}}
    bot.slack.view_submission("U0ALICE", view, choose)
    bot.settle()
    assert ticks(bot, pm_id) == {"arb_shared", "tickets_created", "incident_log_linked"}
    assert thread_notes(bot, "updated the ARB checklist (3/3 ticked)")
    checklist = next(b["text"]["text"] for b in control_message(bot, ts)["blocks"]
                     if b["type"] == "section" and "Checklist" in b.get("text", {}).get("text", ""))
    assert ":white_check_mark: ARB compliance checklist" in checklist
    view = open_more(bot, "U0ALICE", pm_id, "compliance")
    shown = next(b for b in view["blocks"] if b.get("block_id") == ComplianceField.ITEMS)
    assert len(shown["element"]["initial_options"]) == 3
    bot.slack.view_submission("U0ALICE", view, {ComplianceField.ITEMS: {"value": {
        "type": "checkboxes", "selected_options": [{"value": "arb_shared"}]}}})
    bot.settle()
    assert ticks(bot, pm_id) == {"arb_shared"}
    assert [e.summary for e in events(bot, "compliance")] == [
        "ticked arb_shared, tickets_created, incident_log_linked",
        "unticked tickets_created, incident_log_linked",
    ]
    body = bot.slack.view_submission("U0ALICE", view, {ComplianceField.ITEMS: {"value": {
        "type": "checkboxes", "selected_options": [{"value": "made_up"}]}}},
        apply_response=False).json()
    assert body["errors"].keys() == {ComplianceField.ITEMS}


# ---- references ----------------------------------------------------------------------------


def reference(kind: str | None, label: str | None, url: str | None) -> dict[str, Any]:
    return {
        ReferenceField.KIND: {"value": {"type": "static_select",
                                        "selected_option": {"value": kind} if kind else None}},
        ReferenceField.LABEL: text_value(label),
        ReferenceField.URL: text_value(url),
    }


def references(bot: Harness, pm_id: int) -> list[Reference]:
    with bot.session() as session:
        stmt = select(Reference).where(Reference.postmortem_id == pm_id).order_by(Reference.id)
        return list(session.exec(stmt).all())


def test_references_are_added_listed_and_deleted(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_more(bot, "U0ALICE", pm_id, "references")
    body = bot.slack.view_submission("U0ALICE", view, bot.typed(
        view, reference("dashboard", "SLO <!here>", "https://grafana.example.com/d/1"))).json()
    assert body["response_action"] == "update"
    bot.settle()
    [ref] = references(bot, pm_id)
    assert (ref.kind, ref.label, ref.url, ref.created_by) == (
        "dashboard", "SLO <!here>", "https://grafana.example.com/d/1", "U0ALICE")
    listed = "\n".join(b["text"]["text"] for b in bot.emu.views[view["id"]]["blocks"]
                       if b["type"] == "section")
    assert "<https://grafana.example.com/d/1|SLO &lt;!here&gt;>" in listed
    [note] = thread_notes(bot, "added a reference")
    assert "<!here>" not in note["text"] and "&lt;!here&gt;" in note["text"]
    bot.slack.block_action("U0ALICE", Action.REFERENCE_DELETE, value=f"{pm_id}:{ref.id}",
                           view=view["id"])
    bot.settle()
    assert references(bot, pm_id) == []
    assert "No references yet" in str(bot.emu.views[view["id"]]["blocks"])
    assert [e.kind for e in events(bot, "reference")] + [
        e.kind for e in events(bot, "reference_deleted")] == ["reference", "reference_deleted"]
    assert_slack_accepted_everything(bot)


@pytest.mark.parametrize(("kind", "url", "wrong"), [
    (None, "https://x.example/1", ReferenceField.KIND),
    ("logs", "ftp://x.example/1", ReferenceField.URL),
    ("logs", None, ReferenceField.URL),
])
def test_a_reference_needs_a_kind_and_a_web_link(
    bot: Harness, kind: str | None, url: str | None, wrong: str
) -> None:
    pm_id, _ = open_postmortem(bot)
    view = open_more(bot, "U0ALICE", pm_id, "references")
    values = reference(kind, "x", url)
    if url is None:
        values.pop(ReferenceField.URL)
    body = bot.slack.view_submission("U0ALICE", view, bot.typed(view, values),
                                     apply_response=False).json()
    assert {base_id(block) for block in body["errors"]} == {wrong}
    assert references(bot, pm_id) == []


def test_five_hundred_references_page_within_slacks_limits(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    with session_scope(bot.deps.sessions) as session:
        session.add_all(Reference(postmortem_id=pm_id, kind="logs", label=f"Link {n:03d}",
                                  url=f"https://logs.example.com/{n}", created_by="U0ALICE",
                                  created_at=bot.clock()) for n in range(500))
    view = open_more(bot, "U0ALICE", pm_id, "references")
    assert view is not None
    seen = page_through(
        bot, "U0ALICE", view["id"], action=Action.REFERENCE_PAGE,
        next_block=ReferenceField.NAV_NEXT,
        items=lambda v: [t.split("|")[1].rstrip(">") for t in section_texts(v, "Link ")],
    )
    assert seen == [f"Link {n:03d}" for n in range(500)]
    assert_slack_accepted_everything(bot)
    updates = len(bot.emu.calls_to("views.update"))
    bot.slack.for_team("T0OTHER").block_action(
        "U0ALICE", Action.REFERENCE_PAGE, view=view["id"], value=f"{pm_id}:0")
    bot.settle()
    assert len(bot.emu.calls_to("views.update")) == updates
    assert any("another workspace" in text for text in refusals_to(bot, "U0ALICE"))


def test_another_workspace_and_a_non_editor_cannot_change_any_section(bot: Harness) -> None:
    pm_id, _ = open_postmortem(bot)
    outsider = bot.slack.for_team("T0OTHER")
    for section in ("communication", "references", "supporting", "finance", "compliance"):
        assert open_more(bot, "U0DAN", pm_id, section) is None
        assert open_more(bot, "U0ALICE", pm_id, section, client=outsider) is None
    assert sum("Only the post-mortem's author" in t for t in refusals_to(bot, "U0DAN")) == 5
    assert sum("another workspace" in t for t in refusals_to(bot, "U0ALICE")) == 5
    forms = {section: open_more(bot, "U0ALICE", pm_id, section)
             for section in ("communication", "references", "supporting", "finance",
                             "compliance")}
    submissions = {
        "communication": {CommunicationField.STATUS_PAGE: text_value("forged")},
        "references": reference("logs", "forged", "https://forged.example.com"),
        "supporting": {SupportingField.LOG_EXCERPTS: text_value("forged")},
        "finance": {FinanceField.MODULES: modules("vat")},
        "compliance": {ComplianceField.ITEMS: {"value": {
            "type": "checkboxes", "selected_options": [{"value": "arb_shared"}]}}},
    }
    for section, values in submissions.items():
        for client, user_id in ((bot.slack, "U0DAN"), (outsider, "U0ALICE")):
            body = client.view_submission(user_id, forms[section], values,
                                          apply_response=False).json()
            assert body["response_action"] == "errors", (section, user_id)
    bot.settle()
    pm = pm_row(bot, pm_id)
    assert (pm.status_page, pm.log_excerpts, pm.finance_modules) == (None, None, [])
    assert references(bot, pm_id) == [] and ticks(bot, pm_id) == set()
    with bot.session() as session:
        assert [e.kind for e in session.exec(select(AuditEvent)).all()] == ["created"]
