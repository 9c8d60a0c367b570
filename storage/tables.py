"""The database schema: one SQLModel table per thing the process keeps (per-workspace caches
and state are in storage/workspace_tables.py).

Every datetime is aware UTC (`UTCDateTime`); dates without a time (action-item due dates)
are plain `date`. Lists of Slack ids are JSON arrays.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Table, Text, UniqueConstraint, event, text
from sqlalchemy import false as sa_false
from sqlmodel import Field

from storage.types import TableModel, UTCDateTime


def _utc(**kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, **kw)


def _text(**kw: Any) -> Any:
    return Field(default=None, sa_type=Text, **kw)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Incident(TableModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_incident_source_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(index=True, unique=True, max_length=64)
    title: str = Field(max_length=255)
    severity: int = Field(ge=0, le=4)
    services: list[str] = _json_list()
    source: str = Field(default="slack", max_length=32)
    external_id: str | None = Field(default=None, max_length=255)
    external_url: str | None = Field(default=None, max_length=1000)
    # The workspace it was reported to (a webhook's configured team, or the post-mortem's).
    team_id: str | None = Field(default=None, max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    detection_method: str | None = Field(default=None, max_length=255)
    started_at: datetime | None = _utc()
    detected_at: datetime | None = _utc()
    acknowledged_at: datetime | None = _utc()
    mitigated_at: datetime | None = _utc()
    resolved_at: datetime | None = _utc()
    # The "root cause identified" milestone (a timeline entry marked so counts too).
    identified_at: datetime | None = _utc()
    # The alert that fired (seed 001's "Alert Name", seed 003's "Alerts Fired").
    alert_name: str | None = Field(default=None, max_length=255)
    alert_source: str | None = Field(default=None, max_length=255)
    alert_url: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)


# The open post-mortems (storage/kinds.py's CLOSED), as a partial index's condition.
OPEN = text("status != 'closed'")


class Postmortem(TableModel, table=True):
    __tablename__ = "postmortem"
    # The App Home's "post-mortems you owe" (bot/slack/home/): author or facilitator, by status.
    __table_args__ = (
        Index("ix_postmortem_owner_status", "owner_id", "status"),
        Index("ix_postmortem_facilitator_status", "facilitator_id", "status"),
        Index("ix_postmortem_team_created", "team_id", "created_at"),
        # `/postmortem list` (open ones, newest first) and its count read only this: a page
        # without visiting closed rows, a count without touching the table. Partial (WHERE
        # OPEN) as the database creates it: _partial_open_index.
        Index("ix_postmortem_open", "team_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    team_id: str | None = Field(default=None, max_length=32)
    status: str = Field(default="draft", max_length=16, index=True)
    required: bool = True
    template: str | None = Field(default=None, max_length=64)
    # Roles are Slack user ids.
    owner_id: str = Field(max_length=32)
    facilitator_id: str | None = Field(default=None, max_length=32)
    commander_id: str | None = Field(default=None, max_length=32)
    reviewers: list[str] = _json_list()
    attendees: list[str] = _json_list()
    # Where the post-mortem lives in Slack: the control message starts its thread.
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    due_at: datetime | None = _utc()
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    review_requested_at: datetime | None = _utc()
    published_at: datetime | None = _utc()
    closed_at: datetime | None = _utc()
    # Narrative parts.
    summary: str | None = _text()
    root_cause: str | None = _text()
    cause_what: str | None = _text()
    cause_why: str | None = _text()
    cause_how: str | None = _text()
    mitigation: str | None = _text()
    permanent_fix: str | None = _text()
    # Impact: every field optional, shown when given.
    impact_minutes: int | None = None
    users_affected: str | None = _text()
    requests_failed: str | None = _text()
    data_impact: str | None = _text()
    revenue_impact: str | None = _text()
    sla_breach: str | None = _text()
    slo_target: float | None = None
    error_budget_used: str | None = _text()
    support_tickets: str | None = _text()
    regulatory_notification: str | None = _text()
    customer_impact: str | None = _text()
    geography: str | None = _text()
    reputation_impact: str | None = _text()
    contractual_impact: str | None = _text()
    infrastructure_impact: str | None = _text()
    dependency_impact: str | None = _text()
    internal_impact: str | None = _text()
    # How recovery was verified (seed 001's "Validation").
    validation: str | None = _text()
    # Communication during and after the incident.
    status_page: str | None = _text()
    customer_notice: str | None = _text()
    stakeholders: str | None = _text()
    status_updates: str | None = _text()
    public_statements: str | None = _text()
    distribution: str | None = _text()
    # The post-mortem review meeting; its attendees are `attendees` above.
    meeting_at: datetime | None = _utc()
    meeting_minutes: int | None = None
    # Seed 000's financial-system questions.
    finance_modules: list[str] = _json_list()
    finance_corruption: str | None = _text()
    finance_precision: str | None = _text()
    # Seed 003's supporting data, follow-up and appendix.
    log_excerpts: str | None = _text()
    config_changes: str | None = _text()
    review_cadence: str | None = _text()
    next_review: str | None = _text()
    related_pattern: str | None = _text()
    glossary: str | None = _text()
    # Where the published document was archived, so a republish updates the same file.
    archive_path: str | None = Field(default=None, max_length=1000)
    archive_url: str | None = Field(default=None, max_length=1000)
    quality_override: str | None = _text()
    version: int = 0


@event.listens_for(Postmortem.__table__, "before_create")  # type: ignore[attr-defined]
def _partial_open_index(table: Table, connection: Any, **_: Any) -> None:
    """ix_postmortem_open's WHERE, given when SQLite or PostgreSQL creates the table (as
    migration 0007 gives it), not as `sqlite_where=` / `postgresql_where=` on the Index:
    SQLAlchemy checks such a keyword at construction by importing its dialect, and importing
    PostgreSQL's cost every SQLite process ~40 ms of its start (and SQLite's, PostgreSQL's)."""
    name = connection.dialect.name
    if name in ("sqlite", "postgresql"):
        index = next(i for i in table.indexes if i.name == "ix_postmortem_open")
        index.dialect_kwargs[f"{name}_where"] = OPEN


class TimelineEntry(TableModel, table=True):
    __tablename__ = "timeline_entry"
    __table_args__ = (
        UniqueConstraint("postmortem_id", "message_key", name="uq_timeline_message"),
        Index("ix_timeline_pm_time", "postmortem_id", "occurred_at"),
        # The program metrics read every marked milestone at once (storage/queries/metrics.py).
        Index("ix_timeline_pm_milestone", "postmortem_id", "milestone", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id")
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    text: str = Field(sa_type=Text)
    actor: str | None = Field(default=None, max_length=255)
    source: str = Field(default="manual", max_length=16)
    # "channel:ts" of a captured Slack message: the same message never lands twice.
    message_key: str | None = Field(default=None, max_length=64)
    link: str | None = Field(default=None, max_length=1000)
    # One of flows.milestones.MILESTONES: the entry marks that moment of the incident.
    milestone: str | None = Field(default=None, max_length=32)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Why(TableModel, table=True):
    __tablename__ = "why"
    __table_args__ = (UniqueConstraint("postmortem_id", "position", name="uq_why_position"),)

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    position: int
    question: str = Field(sa_type=Text)
    answer: str = Field(sa_type=Text)


class ContributingFactor(TableModel, table=True):
    __tablename__ = "contributing_factor"

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    text: str = Field(sa_type=Text)
    category: str = Field(max_length=32)
    severity: str = Field(max_length=8)


class Learning(TableModel, table=True):
    """One list item of the reflections: went well / poorly / lucky / surprise / lessons."""

    __tablename__ = "learning"

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    kind: str = Field(max_length=32)
    text: str = Field(sa_type=Text)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ActionItem(TableModel, table=True):
    __tablename__ = "action_item"
    __table_args__ = (
        UniqueConstraint("postmortem_id", "number", name="uq_action_item_number"),
        Index("ix_action_item_owner_status", "owner_id", "status"),
        # The program metrics count a workspace's items by status and due date from it alone.
        Index("ix_action_item_pm_status_due", "postmortem_id", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    number: int
    title: str = Field(sa_type=Text)
    owner_id: str | None = Field(default=None, max_length=32)
    due_on: date | None = None
    priority: str = Field(default="P2", max_length=4)
    category: str = Field(default="Prevention", max_length=32)
    success_criteria: str | None = _text()
    status: str = Field(default="open", max_length=16)
    # Why the work stops, asked whenever an item becomes won't do (and audited with it).
    wont_do_reason: str | None = _text()
    tracker_url: str | None = Field(default=None, max_length=1000)
    tracker_ref: str | None = Field(default=None, max_length=255, index=True)
    tracker_error: str | None = _text()
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = _utc()


class Reference(TableModel, table=True):
    """A link the document cites: dashboard, logs, runbook, related incident…"""

    __tablename__ = "reference"

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    kind: str = Field(max_length=32)
    label: str = Field(max_length=255)
    url: str = Field(max_length=1000)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ComplianceTick(TableModel, table=True):
    """One ticked item of a compliance checklist (seed 004's ARB checklist), and who ticked it."""

    __tablename__ = "compliance_tick"
    __table_args__ = (UniqueConstraint("postmortem_id", "item", name="uq_compliance_item"),)

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    item: str = Field(max_length=32)
    ticked_by: str = Field(max_length=32)
    ticked_at: datetime = Field(sa_type=UTCDateTime)


class ReviewDecision(TableModel, table=True):
    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    reviewer_id: str = Field(max_length=32)
    decision: str = Field(max_length=32)
    comment: str | None = _text()
    round: int = 1
    decided_at: datetime = Field(sa_type=UTCDateTime)


class Document(TableModel, table=True):
    """A rendered version of the post-mortem (on review and on publish)."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("postmortem_id", "version", name="uq_document_version"),)

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    version: str = Field(max_length=16)
    template: str = Field(max_length=64)
    markdown: str = Field(sa_type=Text)
    change: str = Field(max_length=255)
    author_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AuditEvent(TableModel, table=True):
    """Who changed what, when: every change to a post-mortem leaves one."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    actor_id: str | None = Field(default=None, max_length=32)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=64)
    summary: str = Field(sa_type=Text)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Reminder(TableModel, table=True):
    """A message the bot owes Slack, now (an announcement) or at a time (a reminder): sent
    exactly once by whichever worker claims it. The bot's outbox."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=32)
    postmortem_id: int | None = Field(default=None, foreign_key="postmortem.id", index=True)
    action_item_id: int | None = Field(default=None, foreign_key="action_item.id", index=True)
    target: str | None = Field(default=None, max_length=64)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="pending", max_length=16)
    lease_until: datetime | None = _utc()
    claimed_by: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    last_error: str | None = _text()
    # When it was sent; while `unsure`, since when a send may have reached Slack (the lookup
    # starts there).
    sent_at: datetime | None = _utc()
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    team_id: str | None = Field(default=None, max_length=32)
    # Set while a send may have reached Slack without us hearing back (claimed and not settled,
    # or the connection dropped): the next attempt looks in the channel before sending again.
    unsure: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    # Where Slack put the message: channel id and ts, from its answer or from the lookup.
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)


class Recurrence(TableModel, table=True):
    """A post-mortem's incident happened again ("It happened again"): who said so, when, and
    the new incident when it was named (one the bot knows, or a reference or link)."""

    __tablename__ = "recurrence"
    __table_args__ = (Index("ix_recurrence_reported", "team_id", "reported_at"),)

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    team_id: str | None = Field(default=None, max_length=32)
    reported_by: str = Field(max_length=32)
    reported_at: datetime = Field(sa_type=UTCDateTime)
    # The new incident, when the bot knows it; else what the reporter typed.
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    reference: str | None = Field(default=None, max_length=255)
    url: str | None = Field(default=None, max_length=1000)


class ProcessedKey(TableModel, table=True):
    """Deliveries already handled: Slack event ids, view submissions, webhook deliveries."""

    __tablename__ = "processed_key"

    key: str = Field(primary_key=True, max_length=255)
    at: datetime = Field(sa_type=UTCDateTime)


class Submission(TableModel, table=True):
    """A submitted form acked before it was saved (bot/slack/inbox.py): written before the
    ack, deleted by the transaction that saves it, so a crash in between loses nothing."""

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_received", "attempts", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # The form's delivery key ("view:<id>:<hash>"): a double click is one row.
    key: str = Field(unique=True, index=True, max_length=255)
    callback_id: str = Field(max_length=255)
    team_id: str | None = Field(default=None, max_length=32)
    body: str = Field(sa_type=Text)  # the request's JSON payload, as Slack sent it
    received_at: datetime = Field(sa_type=UTCDateTime)
    # Saves that failed unexpectedly; the sweep retries below storage/queries/inbox.py's cap.
    attempts: int = Field(default=0)
