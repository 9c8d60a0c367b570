"""A post-mortem with all of its parts, read once and handed to the process as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
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


class WhyItem(NamedTuple):
    """A why as the record holds it: the columns of a `Why`, read-only (as TimelineItem)."""

    id: int
    postmortem_id: int
    position: int
    question: str
    answer: str


class ActionItemRow(NamedTuple):
    """An action item as the record holds it: the columns of an `ActionItem`, read-only.

    Plain data for the reason TimelineItem is: the record is read whole, with every document
    and control message, and tracked instances cost more to build than the read. Changes go
    through the `ActionItem` row (flows/action_item_changes.py)."""

    id: int
    postmortem_id: int
    number: int
    title: str
    owner_id: str | None
    due_on: date | None
    priority: str
    category: str
    success_criteria: str | None
    status: str
    wont_do_reason: str | None
    tracker_url: str | None
    tracker_ref: str | None
    tracker_error: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None


# What code that only reads an item takes: a record's row, or a tracked row read for a change.
WhyData = Why | WhyItem
ActionItemData = ActionItem | ActionItemRow


@dataclass
class PostmortemRecord:
    incident: Incident
    postmortem: Postmortem
    timeline: list[TimelineItem] = field(default_factory=list)
    whys: list[WhyItem] = field(default_factory=list)
    factors: list[ContributingFactor] = field(default_factory=list)
    learnings: list[Learning] = field(default_factory=list)
    action_items: list[ActionItemRow] = field(default_factory=list)
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
