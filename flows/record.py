"""A post-mortem with all of its parts, read once and handed to the process as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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

LEARNING_KINDS = {
    "went_well": "What went well",
    "went_poorly": "What went poorly",
    "lucky": "Where we got lucky",
    "surprise": "Surprising findings",
    "lesson_technical": "Technical lessons",
    "lesson_process": "Process lessons",
    "lesson_culture": "Culture lessons",
}


@dataclass
class PostmortemRecord:
    incident: Incident
    postmortem: Postmortem
    timeline: list[TimelineEntry] = field(default_factory=list)
    whys: list[Why] = field(default_factory=list)
    factors: list[ContributingFactor] = field(default_factory=list)
    learnings: list[Learning] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    decisions: list[ReviewDecision] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    compliance: list[ComplianceTick] = field(default_factory=list)

    @property
    def id(self) -> int:
        assert self.postmortem.id is not None
        return self.postmortem.id

    def learnings_of(self, kind: str) -> list[Learning]:
        return [item for item in self.learnings if item.kind == kind]

    def impact_duration(self) -> timedelta | None:
        """The impact window, as flows.durations defines it for every document."""
        from flows.durations import impact_window

        return impact_window(self)


def checklist(record: PostmortemRecord, template: str | None = None) -> list[Any]:
    """flows.checklist.checklist: the parts every seed has plus those `template`'s seed needs."""
    from flows.checklist import checklist as build

    return build(record, template)


def last_change_at(record: PostmortemRecord) -> datetime:
    return record.postmortem.updated_at
