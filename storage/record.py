"""A post-mortem with all of its parts, read once and handed to the process as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

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
    Why,
)


class TimelineItem(NamedTuple):
    """A timeline entry as the record holds it: the columns of a `TimelineEntry` that the
    process reads (the document, the timeline modal, checks), read-only.

    Plain data rather than ORM instances: a record is read whole, and building thousands of
    tracked instances was most of the time it took to render a long timeline. Changes go
    through the `TimelineEntry` row (flows/timeline_entries.py).
    """

    id: int
    occurred_at: datetime
    text: str
    actor: str | None
    source: str
    link: str | None
    milestone: str | None


@dataclass
class PostmortemRecord:
    incident: Incident
    postmortem: Postmortem
    timeline: list[TimelineItem] = field(default_factory=list)
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
