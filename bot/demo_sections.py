"""The demo's steps through the timeline shortcut and the control message's "More" menu:
messages added with their milestones, the details issue 12 added (the alert, how recovery was
verified, the review meeting), communication, references, supporting data, the financial
questions and, once published, the ARB checklist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.demo_inputs import CHANNEL, PINNED
from bot.slack.ids import (
    Action,
    Callback,
    CommunicationField,
    ComplianceField,
    DetailsField,
    FinanceField,
    ReferenceField,
    SupportingField,
    TimelineField,
)

if TYPE_CHECKING:  # the demo's driver imports this module
    from bot.demo import Demo

Say = Callable[[str], None]


def plain(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def pick(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def when(at: datetime) -> dict[str, Any]:
    return {"value": {"type": "datetimepicker", "selected_date_time": int(at.timestamp())}}


def details_extras(started: datetime) -> dict[str, Any]:
    """What the Details modal asks beyond the roles and times: alert, recovery, meeting."""
    return {
        DetailsField.ALERT_NAME: plain("CheckoutErrorRate"),
        DetailsField.ALERT_SOURCE: plain("Prometheus, paged through PagerDuty"),
        DetailsField.ALERT_URL: plain(
            "https://prometheus.example.com/alerts?search=CheckoutErrorRate"),
        DetailsField.VALIDATION: plain(
            "Error rate under 0.1% for 30 minutes after the rollback; pool use under 60% with "
            "the new limit"),
        DetailsField.MEETING_AT: when(started + timedelta(hours=2, minutes=30)),
        DetailsField.MEETING_MINUTES: plain("45"),
    }


def timeline_step(demo: Demo, pm_id: str, started: datetime, say: Say) -> None:
    say(f"3. the team adds {len(PINNED)} channel messages with the “Add to PM timeline” "
        "shortcut, confirming the milestone each one marks")
    emu = demo.emu
    for minutes, user, text, mark in PINNED:
        ts = emu.post_as_user(CHANNEL, user, text,
                              at=(started + timedelta(minutes=minutes)).timestamp())
        message = next(m for m in emu.messages(CHANNEL) if m["ts"] == ts)
        demo.slack.message_shortcut(user, Callback.SHORTCUT_TIMELINE, CHANNEL, message)
        demo.settle()
        view = demo.opened_view()
        prefilled = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
        values = {block: plain(prefilled[block] or "") for block in (
            TimelineField.TIME_TEXT, TimelineField.TEXT, TimelineField.ACTOR)}
        demo.submit(user, view, values | {TimelineField.MILESTONE: pick(mark)})


def more(demo: Demo, user: str, pm_id: str, section: str) -> dict[str, Any]:
    """Pick `section` in the control message's "More" menu; the modal it opened."""
    demo.click(user, Action.OPEN_MORE, f"{pm_id}:{section}", channel_id=CHANNEL)
    return demo.opened_view()


def more_step(demo: Demo, pm_id: str, say: Say) -> None:
    say("7. from the control message's “More” menu alice records the communication, the "
        "references, the supporting data and follow-up, and the financial questions")
    demo.submit("U0ALICE", more(demo, "U0ALICE", pm_id, "communication"), {
        CommunicationField.STATUS_UPDATES: plain("Four updates in #status, every 15 minutes"),
        CommunicationField.STAKEHOLDERS: plain("Engineering, support and the leadership team"),
        CommunicationField.STATUS_PAGE: plain(
            "https://status.example.com/incidents/checkout-500s"),
        CommunicationField.CUSTOMER_NOTICE: plain(
            "Email to the 4,800 affected customers the next morning"),
        CommunicationField.PUBLIC_STATEMENTS: plain(
            "Replies on social media pointing to the status page"),
        CommunicationField.DISTRIBUTION: plain(
            "Engineering team (Slack #engineering)\nSupport team (Slack #support)\n"
            "Leadership (email)\nKnowledge base (the post-mortem archive)"),
    })
    view = more(demo, "U0ALICE", pm_id, "references")
    for kind, label, url in [
        ("dashboard", "Checkout SLO dashboard", "https://grafana.example.com/d/checkout-slo"),
        ("logs", "payment-api errors", "https://logs.example.com/search?service=payment-api"),
        ("runbook", "RB-DB-001: Postgres connection pool scaling",
         "https://wiki.example.com/runbooks/rb-db-001"),
        ("related_incident", "INC-2026-05-02-004: pool exhaustion on search",
         "https://wiki.example.com/post-mortems/inc-2026-05-02-004"),
    ]:
        demo.submit("U0ALICE", view, {ReferenceField.KIND: pick(kind),
                                      ReferenceField.LABEL: plain(label),
                                      ReferenceField.URL: plain(url)})
        view = demo.emu.views[view["id"]]
    demo.submit("U0ALICE", more(demo, "U0ALICE", pm_id, "supporting"), {
        SupportingField.LOG_EXCERPTS: plain(
            "ERROR payment-api pool exhausted (max: 100, active: 100)\n"
            "ERROR checkout failed: timeout acquiring connection after 30s"),
        SupportingField.CONFIG_CHANGES: plain(
            "Before: max_connections = 100\nAfter:  max_connections = 200"),
        SupportingField.REVIEW_CADENCE: plain("Weekly in the payments team's sprint planning"),
        SupportingField.NEXT_REVIEW: plain("The quarterly incident review"),
        SupportingField.RELATED_PATTERN: plain(
            "Second pool exhaustion this year: connection budgets are nobody's job yet"),
        SupportingField.GLOSSARY: plain(
            "Connection pool: the database connections a service keeps open and reuses\n"
            "PgBouncer: a proxy that shares a few database connections among many clients"),
    })
    demo.submit("U0ALICE", more(demo, "U0ALICE", pm_id, "finance"), {
        FinanceField.MODULES: {"value": {"type": "multi_static_select", "selected_options": [
            {"value": "invoice_calc"}, {"value": "double_entry"}]}},
        FinanceField.CORRUPTION: plain("No: failed checkouts wrote no invoices or ledger rows"),
        FinanceField.PRECISION: plain("Yes: the day's invoices reconciled to the cent"),
    })


def arb_step(demo: Demo, pm_id: str, say: Say) -> None:
    say("9. after publishing, carol and bob tick the ARB compliance checklist (More menu)")
    ticked: list[str] = []
    for user, items in (("U0CAROL", ["arb_shared"]),
                        ("U0BOB", ["tickets_created", "incident_log_linked"])):
        ticked += items
        demo.submit(user, more(demo, user, pm_id, "compliance"), {
            ComplianceField.ITEMS: {"value": {"type": "checkboxes", "selected_options": [
                {"value": item} for item in ticked]}}})
