"""A post-mortem with all of its parts, read once and handed to the process as data."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat
from operator import attrgetter
from typing import Any, NamedTuple, cast, overload

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


class TimelineColumns(NamedTuple):
    """A timeline column by column, in the order of its entries: `TimelineItem`'s fields."""

    id: list[int]
    occurred_at: list[datetime]
    text: list[str]
    actor: list[str | None]
    source: list[str]
    link: list[str | None]
    milestone: list[str | None]


class ReadTimeline(Sequence[TimelineItem]):
    """The timeline as `load_record` reads it: its columns, the entries made from them the
    first time something asks for one.

    The database hands the rows over column by column (its times parsed a column at a time),
    and the document works column by column: zipping thousands of columns back into
    `TimelineItem`s only for the document to take them apart again was a tenth of a render.
    Read-only, like the rest of the record, so the columns and the entries cannot disagree.
    """

    __slots__ = ("_items", "columns")

    def __init__(self, columns: TimelineColumns) -> None:
        self.columns = columns
        self._items: list[TimelineItem] | None = None

    def items(self) -> list[TimelineItem]:
        if self._items is None:
            # tuple.__new__ straight from C: `_make` is a Python call per item, and zip's
            # tuples are known to be of the right length.
            self._items = cast(list[TimelineItem], list(map(
                tuple.__new__, repeat(TimelineItem), zip(*self.columns, strict=True))))
        return self._items

    def __len__(self) -> int:
        return len(self.columns.id)

    def __iter__(self) -> Iterator[TimelineItem]:
        return iter(self.items())

    @overload
    def __getitem__(self, index: int) -> TimelineItem: ...
    @overload
    def __getitem__(self, index: slice) -> list[TimelineItem]: ...

    def __getitem__(self, index: int | slice) -> TimelineItem | list[TimelineItem]:
        return self.items()[index]

    def __eq__(self, other: object) -> bool:
        # Equal to a list (or any sequence) of the same entries, as the list it stands for was.
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self.items() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ReadTimeline({self.items()!r})"


_ENTRY_FIELDS = attrgetter(*TimelineItem._fields)


def timeline_columns(timeline: Sequence[TimelineItem]) -> TimelineColumns:
    """The timeline's columns: those it was read as, or taken from its entries (a record built
    in memory, whose entries may be `TimelineEntry` rows)."""
    if isinstance(timeline, ReadTimeline):
        return timeline.columns
    if not timeline:
        return TimelineColumns([], [], [], [], [], [], [])
    return TimelineColumns(*map(list, zip(*map(_ENTRY_FIELDS, timeline), strict=True)))


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


class FactorRow(NamedTuple):
    """The small parts below are plain rows too, read-only, for the reason TimelineItem is:
    the document reads every part, and an ORM select cost three times a column select on
    these short lists. Changes go through the tables' rows, found by id (flows/whys.py,
    flows/learnings.py, storage/queries/parts.py …)."""

    id: int
    postmortem_id: int
    text: str
    category: str
    severity: str


class LearningRow(NamedTuple):
    id: int
    postmortem_id: int
    kind: str
    text: str
    created_by: str | None
    created_at: datetime


class ReferenceRow(NamedTuple):
    id: int
    postmortem_id: int
    kind: str
    label: str
    url: str
    created_by: str | None
    created_at: datetime


class ComplianceRow(NamedTuple):
    id: int
    postmortem_id: int
    item: str
    ticked_by: str
    ticked_at: datetime


class DecisionRow(NamedTuple):
    id: int
    postmortem_id: int
    reviewer_id: str
    decision: str
    comment: str | None
    round: int
    decided_at: datetime


class DocumentRow(NamedTuple):
    """A stored version without its Markdown: the record lists every version (the changelog,
    the next version number), and a long post-mortem's versions are hundreds of KiB each.
    What needs the text reads that one version (postmortems.get_document)."""

    id: int
    postmortem_id: int
    version: str
    template: str
    change: str
    author_id: str | None
    created_at: datetime


class EventRow(NamedTuple):
    id: int
    postmortem_id: int
    actor_id: str | None
    at: datetime
    kind: str
    summary: str
    detail: dict[str, Any]


# What code that only reads an item takes: a record's row, or a tracked row read for a change
# (or added to the record since it was read).
WhyData = Why | WhyItem
ActionItemData = ActionItem | ActionItemRow
FactorData = ContributingFactor | FactorRow
LearningData = Learning | LearningRow
ReferenceData = Reference | ReferenceRow
ComplianceData = ComplianceTick | ComplianceRow
DecisionData = ReviewDecision | DecisionRow
DocumentData = Document | DocumentRow
EventData = AuditEvent | EventRow


@dataclass
class PostmortemRecord:
    incident: Incident
    postmortem: Postmortem
    # A `ReadTimeline` when read from the database; take columns with `timeline_columns`.
    timeline: Sequence[TimelineItem] = field(default_factory=list)
    whys: list[WhyItem] = field(default_factory=list)
    factors: list[FactorData] = field(default_factory=list)
    learnings: list[LearningData] = field(default_factory=list)
    action_items: list[ActionItemRow] = field(default_factory=list)
    decisions: list[DecisionData] = field(default_factory=list)
    documents: list[DocumentData] = field(default_factory=list)
    events: list[EventData] = field(default_factory=list)
    references: list[ReferenceData] = field(default_factory=list)
    compliance: list[ComplianceData] = field(default_factory=list)

    @property
    def id(self) -> int:
        assert self.postmortem.id is not None
        return self.postmortem.id

    def learnings_of(self, kind: str) -> list[LearningData]:
        return [item for item in self.learnings if item.kind == kind]
