"""A post-mortem with all of its parts, read once and handed to the process as data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
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
    TimelineEntry,
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


class TimelineColumns(NamedTuple):
    """A timeline's fields column by column, for code that goes through thousands of entries."""

    id: tuple[int | None, ...]
    occurred_at: tuple[datetime, ...]
    text: tuple[str, ...]
    actor: tuple[str | None, ...]
    source: tuple[str, ...]
    link: tuple[str | None, ...]
    milestone: tuple[str | None, ...]


def timeline_columns(entries: Sequence[TimelineItem | TimelineEntry]) -> TimelineColumns:
    """The entries' fields as columns: the record's own items are tuples, turned around in one
    C-level pass (a third of the time of a lookup per field and entry); entries built in
    memory (`TimelineEntry` rows) are read field by field."""
    if not entries:
        return _NO_COLUMNS
    if set(map(type, entries)) == {TimelineItem}:
        return TimelineColumns._make(zip(*entries, strict=True))
    return TimelineColumns._make(
        tuple(map(attrgetter(name), entries)) for name in TimelineItem._fields)


_NO_COLUMNS = TimelineColumns((), (), (), (), (), (), ())


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
