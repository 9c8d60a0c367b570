"""The demo's data that no modal collects yet, and the documents it leaves in DIR.

The Slack side of these inputs is still to be built (milestone marks, alert, references,
communication, review meeting, financial questions, supporting data, review cadence, ARB
ticks, resolved names); until then the demo writes them through storage, as the bot will.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from flows.document import list_templates
from storage.db import SessionFactory, session_scope
from storage.queries import postmortems
from storage.queries.names import remember_channel, remember_person
from storage.tables import Reference, TimelineEntry

CHANNEL = "C0INCIDENT"
CHANNELS = {CHANNEL: "inc-checkout-500s", "C0ENG": "engineering"}
TEAM = [
    ("U0ALICE", "alice", "Europe/Berlin"),  # on-call engineer, author
    ("U0BOB", "bob", "Europe/Berlin"),  # incident commander
    ("U0CAROL", "carol", "America/New_York"),  # engineering manager
    ("U0DAN", "dan", "UTC"),  # database engineer
]

# minutes after the start, who, what they wrote, the milestone the entry marks
PINNED = [
    (0, "U0DAN", "Deploy of payment-api v2.14 finished", "deploy"),
    (3, "U0BOB", "PagerDuty: CheckoutErrorRate above 5% — I'm IC", "detected"),
    (5, "U0ALICE", "Acknowledged, looking at payment-api", "acknowledged"),
    (18, "U0DAN", "Root cause: connection pool exhausted (max 100, active 100)",
     "root_cause_identified"),
    (24, "U0ALICE", "Rolling back payment-api to v2.13", "fix_applied"),
    (31, "U0ALICE", "Rollback done, error rate back under 0.1%", "mitigated"),
    (52, "U0BOB", "Pool raised to 200 and error budget burn back to normal: all clear",
     "resolved"),
]



def inputs_without_modals(sessions: SessionFactory, pm_id: int, started: datetime) -> None:
    """What no modal asks for yet, stored the way the bot will store it."""
    marks = {text: mark for _, _, text, mark in PINNED}
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
        inc, pm = record.incident, record.postmortem
        for entry in session.exec(
            select(TimelineEntry).where(TimelineEntry.postmortem_id == pm_id)
        ).all():
            entry.milestone = marks.get(entry.text)
            session.add(entry)
        inc.alert_name = "CheckoutErrorRate"
        inc.alert_source = "Prometheus, paged through PagerDuty"
        inc.alert_url = "https://prometheus.example.com/alerts?search=CheckoutErrorRate"
        session.add(inc)
        for field, value in {
            "geography": "EU and US-East (every region served by payment-api)",
            "reputation_impact": "A dozen complaints on social media; no press coverage",
            "contractual_impact": "None: no enterprise customer's SLA was breached",
            "infrastructure_impact": "The shared postgres cluster and the payment-api pods",
            "dependency_impact": "The payment provider's callbacks were retried and succeeded",
            "internal_impact": "Three engineers for two hours, plus support answering tickets",
            "validation": "Error rate under 0.1% for 30 minutes after the rollback; pool use "
            "under 60% with the new limit",
            "status_updates": "Four updates in #status, every 15 minutes",
            "stakeholders": "Engineering, support and the leadership team",
            "status_page": "https://status.example.com/incidents/checkout-500s",
            "customer_notice": "Email to the 4,800 affected customers the next morning",
            "public_statements": "Replies on social media pointing to the status page",
            "distribution": "Engineering team (Slack #engineering)\nSupport team (Slack "
            "#support)\nLeadership (email)\nKnowledge base (the post-mortem archive)",
            "finance_corruption": "No: failed checkouts wrote no invoices or ledger rows",
            "finance_precision": "Yes: the day's invoices reconciled to the cent",
            "log_excerpts": "ERROR payment-api pool exhausted (max: 100, active: 100)\n"
            "ERROR checkout failed: timeout acquiring connection after 30s",
            "config_changes": "Before: max_connections = 100\nAfter:  max_connections = 200",
            "review_cadence": "Weekly in the payments team's sprint planning",
            "next_review": "The quarterly incident review",
            "related_pattern": "Second pool exhaustion this year: connection budgets are "
            "nobody's job yet",
            "glossary": "Connection pool: the database connections a service keeps open and "
            "reuses\nPgBouncer: a proxy that shares a few database connections among many "
            "clients",
        }.items():
            setattr(pm, field, value)
        pm.finance_modules = ["invoice_calc", "double_entry"]
        pm.meeting_at = started + timedelta(hours=2, minutes=30)
        pm.meeting_minutes = 45
        session.add(pm)
        for kind, label, url in [
            ("dashboard", "Checkout SLO dashboard", "https://grafana.example.com/d/checkout-slo"),
            ("logs", "payment-api errors", "https://logs.example.com/search?service=payment-api"),
            ("runbook", "RB-DB-001: Postgres connection pool scaling",
             "https://wiki.example.com/runbooks/rb-db-001"),
            ("related_incident", "INC-2026-05-02-004: pool exhaustion on search",
             "https://wiki.example.com/post-mortems/inc-2026-05-02-004"),
        ]:
            session.add(Reference(postmortem_id=pm_id, kind=kind, label=label, url=url,
                                  created_by="U0ALICE", created_at=now))
        for user_id, name, _ in TEAM:
            remember_person(session, team_id=pm.team_id, user_id=user_id, display_name=name,
                            now=now)
        for channel_id, name in CHANNELS.items():
            remember_channel(session, team_id=pm.team_id, channel_id=channel_id, name=name,
                             now=now)



def write_documents(
    sessions: SessionFactory, pm_id: int, folder: Path, *, now: datetime
) -> list[Path]:
    """`<template>.md` for every built-in template, names as the bot stored them."""
    from bot.cli import render_record

    written = []
    with session_scope(sessions) as session:
        record = postmortems.load_record(session, pm_id=pm_id)
        for template in list_templates():
            path = folder / f"{template}.md"
            path.write_text(render_record(session, record, template=template, tz="UTC", now=now),
                            encoding="utf-8")
            written.append(path)
    return written
