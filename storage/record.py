"""A post-mortem with all of its parts, read once and handed to the process as data."""

from __future__ import annotations

from dataclasses import dataclass, field

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
