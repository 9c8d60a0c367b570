"""The timeline as the record reads it (storage/record.py): columns, and entries made from them
that agree with them, read like the list of entries the record held before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.record import ReadTimeline, TimelineColumns, TimelineItem, timeline_columns
from storage.tables import TimelineEntry

AT = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
ITEMS = [
    TimelineItem(1, AT, "Paged", "U0ALICE", "message", None, "detected"),
    TimelineItem(2, AT + timedelta(minutes=5), "Rolled back", None, "manual",
                 "https://example.com/deploy", None),
    TimelineItem(3, AT + timedelta(minutes=9), "Alert cleared", "Prometheus", "webhook", None,
                 "resolved"),
]


def read(items: list[TimelineItem]) -> ReadTimeline:
    return ReadTimeline(TimelineColumns(*(list(c) for c in zip(*items, strict=True)))
                        if items else TimelineColumns([], [], [], [], [], [], []))


def test_the_entries_are_the_columns_row_by_row() -> None:
    timeline = read(ITEMS)
    assert len(timeline) == 3
    assert list(timeline) == ITEMS
    assert timeline == ITEMS and timeline == read(ITEMS) and timeline != ITEMS[:2]
    assert timeline[0] == ITEMS[0] and timeline[-1] == ITEMS[-1] and timeline[1:] == ITEMS[1:]
    assert all(isinstance(e, TimelineItem) for e in timeline)
    assert timeline[1].link == "https://example.com/deploy"
    assert timeline_columns(timeline) is timeline.columns
    assert timeline_columns(ITEMS) == timeline.columns
    with pytest.raises(IndexError):
        timeline[3]


def test_the_entries_are_made_once() -> None:
    timeline = read(ITEMS)
    assert timeline[0] is next(iter(timeline))


def test_an_empty_timeline_is_falsy_and_equal_to_an_empty_list() -> None:
    assert not read([]) and read([]) == [] and list(read([])) == []
    assert timeline_columns([]) == TimelineColumns([], [], [], [], [], [], [])


def test_columns_of_a_record_built_in_memory_come_from_its_entries() -> None:
    entries = [TimelineEntry(id=None, postmortem_id=1, occurred_at=item.occurred_at,
                             text=item.text, actor=item.actor, source=item.source,
                             link=item.link, milestone=item.milestone, created_at=AT)
               for item in ITEMS]
    columns = timeline_columns(entries)
    assert columns.id == [None, None, None]
    assert columns[1:] == timeline_columns(ITEMS)[1:]
