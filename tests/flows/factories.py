"""Post-mortem records built in memory for the flow tests and the render benchmark."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage.record import PostmortemRecord
from storage.tables import (
    ActionItem,
    AuditEvent,
    ComplianceTick,
    ContributingFactor,
    Document,
    Incident,
    Learning,
    Postmortem,
    Reference,
    ReviewDecision,
    TimelineEntry,
    Why,
)

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
PEOPLE = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "U0DAVE": "dave"}
CHANNELS = {"C0INCIDENT": "inc-checkout-500s"}


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def incident(**kw: Any) -> Incident:
    fields: dict[str, Any] = {
        "id": 1,
        "reference": "INC-2026-03-14-001",
        "title": "Checkout API returned 500 errors",
        "severity": 1,
        "services": ["checkout-api", "postgres"],
        "created_at": START,
    }
    return Incident(**(fields | kw))


def postmortem(**kw: Any) -> Postmortem:
    fields: dict[str, Any] = {
        "id": 1,
        "incident_id": 1,
        "owner_id": "U0ALICE",
        "created_at": at(120),
        "updated_at": at(120),
        "due_at": at(120) + timedelta(hours=48),
    }
    return Postmortem(**(fields | kw))


def action(number: int, **kw: Any) -> ActionItem:
    fields: dict[str, Any] = {
        "postmortem_id": 1,
        "number": number,
        "title": "Add alert when the DB connection pool is above 80% for 5 minutes",
        "owner_id": "U0BOB",
        "due_on": date(2026, 3, 28),
        "priority": "P1",
        "category": "Detection",
        "success_criteria": "Alert fires in staging when pool usage exceeds 80%",
        "status": "open",
        "created_at": at(200),
        "updated_at": at(200),
    }
    return ActionItem(**(fields | kw))


def learning(kind: str, text: str) -> Learning:
    return Learning(postmortem_id=1, kind=kind, text=text, created_at=at(200))


def why(position: int, question: str, answer: str) -> Why:
    return Why(postmortem_id=1, position=position, question=question, answer=answer)


def reference(kind: str, label: str, url: str) -> Reference:
    return Reference(postmortem_id=1, kind=kind, label=label, url=url, created_at=at(300))


def entry(minutes: float, text: str, actor: str | None = None, **kw: Any) -> TimelineEntry:
    return TimelineEntry(
        postmortem_id=1, occurred_at=at(minutes), text=text, actor=actor,
        created_at=at(minutes), **kw,
    )


FIVE_WHYS = [
    ("Why did checkout fail?", "Database connections were exhausted."),
    ("Why were connections exhausted?", "The pool max_size of 10 was too small for peak traffic."),
    ("Why was the pool size 10?", "It was the default from the initial setup, never revisited."),
    ("Why was this not detected earlier?", "There was no alert on connection pool usage."),
    ("Why was there no alert?", "Pool metrics were not exported to Prometheus."),
]


def full_record() -> PostmortemRecord:
    """Every section filled in, as a finished post-mortem would be."""
    inc = incident(
        detection_method="Automated alert",
        started_at=at(0),
        detected_at=at(2.25),
        acknowledged_at=at(3),
        mitigated_at=at(9),
        resolved_at=at(12),
        external_url="https://pagerduty.example.com/incidents/P0-123",
        channel_id="C0INCIDENT",
        identified_at=at(5),
        alert_name="CheckoutErrorRate",
        alert_source="Prometheus",
        alert_url="https://prometheus.example.com/alerts?search=CheckoutErrorRate",
    )
    pm = postmortem(
        status="in_review",
        facilitator_id="U0CAROL",
        commander_id="U0CAROL",
        reviewers=["U0CAROL", "U0DAVE"],
        attendees=["U0ALICE", "U0BOB", "U0CAROL"],
        summary="Checkout failed for 12 minutes during peak traffic.\n"
        "Orders placed in that window had to be retried.",
        root_cause="Release process lacks a capacity review for connection pool settings",
        cause_what="The checkout-api connection pool (max_size=10) was exhausted.",
        cause_why="Traffic doubled at 10:00 and long-running queries held connections.",
        cause_how="Requests waited 30 seconds for a connection and then failed with HTTP 500.",
        mitigation="raising the pool size to 50 and restarting the pods",
        permanent_fix="pool autoscaling with PgBouncer",
        users_affected="about 500 users (25% of active users)",
        requests_failed="about 1,200",
        data_impact="None",
        revenue_impact="EUR 150 estimated",
        sla_breach="Yes: availability 98.5% for 12 minutes",
        slo_target=99.9,
        support_tickets="3 tickets",
        regulatory_notification="Not required",
        customer_impact="Customers saw 'Service temporarily unavailable' at checkout",
        geography="EU and US-East",
        reputation_impact="Two complaints on social media, no press coverage",
        contractual_impact="No customer SLA penalties apply",
        infrastructure_impact="Primary PostgreSQL cluster and the checkout-api pods",
        dependency_impact="Payment provider callbacks were retried and succeeded",
        internal_impact="Two engineers spent three hours stabilising and cleaning up",
        validation="Error rate under 0.1% for 30 minutes and the SLO ratio back at 99.9%",
        status_updates="Every 15 minutes in #status (4 updates)",
        stakeholders="Engineering, support and the leadership team",
        status_page="https://status.example.com/incidents/42",
        customer_notice="No email: the impact was short and orders were retried",
        public_statements="None",
        distribution="Engineering team (Slack #engineering)\nSupport team (Slack #support)",
        meeting_at=at(60 * 50),
        meeting_minutes=60,
        finance_modules=["invoice_calc"],
        finance_corruption="No: no invoice or ledger rows were written in the window",
        finance_precision="Yes: the day's invoices reconciled to the cent",
        log_excerpts="10:00:03 ERROR pool exhausted (max: 10, active: 10)\n"
        "10:00:04 ERROR checkout failed: connection timeout",
        config_changes="Before: DB_POOL_SIZE=10\nAfter:  DB_POOL_SIZE=50",
        review_cadence="Weekly in sprint planning",
        next_review="Quarterly incident review on 2026-04-01",
        related_pattern="Second pool exhaustion this year: pool sizing is never reviewed",
        glossary="Connection pool: a cache of database connections the service reuses",
    )
    timeline = [
        entry(0, "Service started returning 500 errors", "System"),
        entry(2.25, "Alert fired: CheckoutErrorRate", "Prometheus",
              link="https://grafana.example.com/d/checkout", milestone="detected"),
        entry(3, "On-call acknowledged and started investigating", "U0BOB"),
        entry(5, "Identified database connection pool exhaustion", "U0BOB",
              milestone="root_cause_identified"),
        entry(7, "Raised pool size from 10 to 50 and restarted pods", "U0BOB",
              milestone="fix_applied"),
        entry(9, "Error rate back under 0.1%", "System", milestone="mitigated"),
        entry(12, "Incident resolved, alert cleared", "Prometheus", milestone="resolved"),
    ]
    items = [
        action(1, title="Export db_pool_connections_active and idle metrics to Prometheus",
               priority="P0", category="Detection", status="done", due_on=date(2026, 3, 20),
               success_criteria="Both metrics visible in Prometheus for every pod"),
        action(2),
        action(3, title="Add load test scenario of 300 req/s sustained for 10 minutes",
               priority="P2", category="Prevention", owner_id="U0DAVE", status="in_progress",
               due_on=date(2026, 4, 15), success_criteria="Scenario runs in CI weekly"),
        action(4, title="Write runbook section for connection pool scaling",
               priority="P3", category="Documentation", due_on=None,
               success_criteria="Runbook reviewed by two on-call engineers"),
    ]
    return PostmortemRecord(
        incident=inc,
        postmortem=pm,
        timeline=timeline,
        whys=[why(i + 1, q, a) for i, (q, a) in enumerate(FIVE_WHYS)],
        factors=[
            ContributingFactor(postmortem_id=1, text="Traffic spike of 2x normal volume",
                               category="Infrastructure", severity="Med"),
            ContributingFactor(postmortem_id=1, text="Long-running queries held connections",
                               category="Code", severity="High"),
        ],
        learnings=[
            learning("went_well", "Alert fired within 2 minutes 15 seconds"),
            learning("went_well", "Rollback procedure worked on the first try"),
            learning("went_poorly", "No monitoring on connection pool usage"),
            learning("lucky", "The spike hit outside the monthly billing run"),
            learning("surprise", "The spike was 2x normal but happens monthly"),
            learning("lesson_technical", "Pool saturation is a leading indicator"),
            learning("lesson_process", "Default settings need a review before launch"),
            learning("lesson_culture", "Asking for help early shortened the incident"),
        ],
        action_items=items,
        decisions=[
            ReviewDecision(postmortem_id=1, reviewer_id="U0CAROL", decision="changes_requested",
                           comment="Add the load test item", decided_at=at(60 * 30)),
            ReviewDecision(postmortem_id=1, reviewer_id="U0CAROL", decision="approved",
                           comment="Looks good", decided_at=at(60 * 40)),
        ],
        documents=[
            Document(postmortem_id=1, version="1.0", template="comprehensive",
                     markdown="…", change="Submitted for review", author_id="U0ALICE",
                     created_at=at(60 * 26)),
        ],
        events=[
            AuditEvent(postmortem_id=1, actor_id="U0ALICE", at=at(60 * 26),
                       kind="submitted", summary="Submitted for review"),
        ],
        references=[
            reference("dashboard", "Checkout SLO dashboard", "https://grafana.example.com/d/slo"),
            reference("logs", "checkout-api errors", "https://logs.example.com/q?svc=checkout"),
            reference("runbook", "RB-DB-001 connection pool scaling",
                      "https://wiki.example.com/rb/db-001"),
            reference("related_incident", "INC-2025-09-02-003: pool exhaustion on search",
                      "https://wiki.example.com/pm/inc-2025-09-02-003"),
        ],
        compliance=[
            ComplianceTick(postmortem_id=1, item="arb_shared", ticked_by="U0CAROL",
                           ticked_at=at(60 * 41)),
            ComplianceTick(postmortem_id=1, item="tickets_created", ticked_by="U0BOB",
                           ticked_at=at(60 * 41)),
        ],
    )


def empty_record() -> PostmortemRecord:
    """A post-mortem just opened: the incident's title and little else."""
    return PostmortemRecord(
        incident=incident(services=[], title="Search is slow"),
        postmortem=postmortem(),
    )


def big_record(timeline: int = 2000, actions: int = 200, whys: int = 20) -> PostmortemRecord:
    """The benchmark's record: long sections full of text that needs escaping."""
    record = full_record()
    record.timeline = [
        entry(i * 0.5, f"Step {i}: restarted `pod-{i}` <b>#{i}</b> | retry_count=*{i}*",
              f"U0BOB{i % 7}")
        for i in range(timeline)
    ]
    record.action_items = [
        action(n + 1, title=f"Add alert for [queue {n}] depth > {n * 10} messages_in_flight",
               priority=f"P{n % 4}", success_criteria=f"Alert fires at {n * 10}\nin staging")
        for n in range(actions)
    ]
    record.whys = [why(i + 1, f"Why #{i}?", f"Because _{i}_ | <i>{i}</i>") for i in range(whys)]
    return record
