"""A post-mortem with all of its parts, read once and handed to the process as data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.record import PostmortemRecord

LEARNING_KINDS = {
    "went_well": "What went well",
    "went_poorly": "What went poorly",
    "lucky": "Where we got lucky",
    "surprise": "Surprising findings",
    "lesson_technical": "Technical lessons",
    "lesson_process": "Process lessons",
    "lesson_culture": "Culture lessons",
}


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    done: bool
    hint: str


def checklist(record: PostmortemRecord) -> list[Section]:
    """Which parts are filled in, and what is still missing, in the order of the templates."""
    pm, inc = record.postmortem, record.incident
    whys_done = len(record.whys) >= 5 and bool(pm.root_cause)
    impact_fields = (
        pm.impact_minutes,
        pm.users_affected,
        pm.requests_failed,
        pm.data_impact,
        pm.revenue_impact,
        pm.sla_breach,
        pm.error_budget_used,
        pm.support_tickets,
        pm.customer_impact,
    )
    owned = bool(record.action_items) and all(a.owner_id for a in record.action_items)
    return [
        Section(
            "details",
            "Details and roles",
            bool(inc.services and pm.commander_id),
            "services and incident commander",
        ),
        Section(
            "timeline",
            "Timeline",
            bool(record.timeline) and inc.detected_at is not None,
            "timeline entries and detection time",
        ),
        Section(
            "whys",
            "5 Whys and root cause",
            whys_done,
            f"{len(record.whys)}/5 whys" + ("" if pm.root_cause else ", systemic root cause"),
        ),
        Section(
            "impact",
            "Impact",
            any(v is not None for v in impact_fields),
            "users, requests, revenue, SLA",
        ),
        Section(
            "went_well",
            "What went well",
            len(record.learnings_of("went_well")) >= 2,
            "at least 2 entries",
        ),
        Section(
            "went_poorly",
            "What went poorly",
            bool(record.learnings_of("went_poorly")),
            "at least 1 entry",
        ),
        Section("action_items", "Action items", owned, "each with a single owner"),
        Section(
            "lessons",
            "Lessons learned",
            any(k.startswith("lesson_") for k in (x.kind for x in record.learnings)),
            "technical, process or culture",
        ),
    ]


def last_change_at(record: PostmortemRecord) -> datetime:
    return record.postmortem.updated_at
