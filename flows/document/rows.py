"""Rows shaped for the templates: plain data with public fields, times already formatted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, repeat, tee
from typing import NamedTuple, cast, overload
from zoneinfo import ZoneInfo

from flows.document.escape import Md


class TimelineRow(NamedTuple):
    """A tuple, so the built-in templates unpack it (`{% for time, event, actor in … %}`)
    instead of paying an attribute lookup per cell on timelines of thousands."""

    time: Md
    event: Md  # the milestone tag in bold, then `cell`
    actor: Md
    cell: Md  # the text escaped for a table cell (or a list item: one line either way)
    text: str  # as written, for templates that format it their own way
    link: str | None
    mark: Md  # the milestone this entry marks ("Root cause identified"), or ""


class Timeline(Sequence[TimelineRow]):
    """The timeline's rows, each made when the template reaches it, from columns of plain text.

    Made up front, thousands of rows and their `Md` strings lived through the whole render:
    most of what the collector's young generations promoted per render, and so of how often
    full collections came. Made on the way, a row is gone once the template has written it.
    """

    __slots__ = ("_actors", "_cells", "_links", "_marked", "_marks", "_texts", "_times",
                 "_times_md")

    def __init__(
        self,
        times: Sequence[str],
        cells: list[str],
        actors: list[Md],
        texts: list[str],
        links: list[str | None],
        marks: list[Md],
        *,
        marked: dict[int, Md],
        times_md: bool,
    ) -> None:
        """`marked`: by index, the events that are more than their cell (a milestone's tag
        before it); `times_md`: the times are `Md` already (shared constants)."""
        self._times, self._cells, self._actors = times, cells, actors
        self._texts, self._links, self._marks = texts, links, marks
        self._marked, self._times_md = marked, times_md

    def __len__(self) -> int:
        return len(self._cells)

    def __iter__(self) -> Iterator[TimelineRow]:
        times = self._times if self._times_md else map(Md, self._times)
        # One `Md` per cell, the same object as the event where the entry marks nothing.
        cells, events = tee(map(Md, self._cells))
        if self._marked:
            events = map(self._marked.get, range(len(self)), events)
        # tuple.__new__ straight from C: `_make` is a Python call per row, and zip's tuples
        # are known to be of the right length.
        rows = map(tuple.__new__, repeat(TimelineRow), zip(
            times, events, self._actors, cells, self._texts, self._links, self._marks,
            strict=True))
        return cast(Iterator[TimelineRow], rows)

    @property
    def table(self) -> Md:
        """The rows of a `| Time | Event | Actor |` table, one a line (no newline after the
        last), as the built-in templates' loop over the rows writes them: formatted in one
        go, where the loop made a row, three `Md` cells and three finalize calls per entry,
        half of the render on a timeline of thousands."""
        events: Iterable[str] = self._cells
        if self._marked:
            events = map(self._marked.get, range(len(self)), events)
        # The cells and the bars between them joined in one go, where formatting each row
        # first took three times as long.
        parts = chain.from_iterable(zip(
            repeat("| "), self._times, repeat(" | "), events, repeat(" | "), self._actors,
            repeat(" |\n")))
        return Md("".join(parts)[:-1])  # no newline after the last row

    @overload
    def __getitem__(self, index: int) -> TimelineRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[TimelineRow]: ...

    def __getitem__(self, index: int | slice) -> TimelineRow | list[TimelineRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]  # a negative index counts from the end
        cell = Md(self._cells[index])
        return TimelineRow(Md(self._times[index]), self._marked.get(index, cell),
                           self._actors[index], cell, self._texts[index], self._links[index],
                           self._marks[index])


@dataclass(slots=True)
class WhyRow:
    question: str
    answer: str


@dataclass(slots=True)
class ActionRow:
    ref: Md
    number: int
    title: str
    owner: Md
    due: Md
    priority: str
    category: str
    status: Md
    done: bool
    closed: bool
    success_criteria: str | None
    tracker_url: str | None


@dataclass(slots=True)
class Tier:
    """Action items of one priority band, with the policy's deadline in words."""

    key: str  # high | medium | low
    name: str  # High | Medium | Low
    priorities: Md  # "P0/P1"
    window: Md  # "within 2 weeks"
    rows: list[ActionRow]


@dataclass(slots=True)
class DurationRow:
    key: str
    label: Md
    text: Md
    definition: Md


@dataclass(slots=True)
class RefRow:
    kind: str
    kind_label: Md
    label: str
    url: str


@dataclass(slots=True)
class TickRow:
    key: str
    question: Md
    ticked: bool
    by: Md
    date: Md


@dataclass(slots=True)
class AlertRow:
    time: Md
    name: str
    source: str | None
    url: str | None


@dataclass(slots=True)
class SignoffRow:
    reviewer: Md
    decision: Md
    date: Md
    comment: str | None


@dataclass(slots=True)
class ChangeRow:
    date: Md
    version: str
    change: str
    author: Md


VIEW_ROWS = frozenset({TimelineRow, WhyRow, ActionRow, Tier, DurationRow, RefRow, TickRow,
                       AlertRow, SignoffRow, ChangeRow})


class Clock:
    """Formats aware datetimes in the document's zone; '' for None.

    `moment` is HH:MM when the whole incident fits in one local day (the date is then
    stated once in the header), as the seeds write it; otherwise it carries the date too.
    """

    __slots__ = ("short", "tz")

    def __init__(self, tz: ZoneInfo, short: bool = False) -> None:
        self.tz = tz
        self.short = short

    def moment(self, at: dt.datetime | None) -> Md:
        return self.time(at) if self.short else self.datetime(at)

    def datetime(self, at: dt.datetime | None) -> Md:
        return Md("") if at is None else Md(f"{at.astimezone(self.tz):%Y-%m-%d %H:%M}")

    def time(self, at: dt.datetime | None) -> Md:
        return Md("") if at is None else Md(f"{at.astimezone(self.tz):%H:%M}")

    def date(self, at: dt.datetime | dt.date | None) -> Md:
        if at is None:
            return Md("")
        if isinstance(at, dt.datetime):
            at = at.astimezone(self.tz).date()
        return Md(at.isoformat())
