"""Timeline helpers: order, pages, times in a reader's zone, captured messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from flows import timeline as tl
from flows.errors import FieldErrors
from storage.tables import Incident, Postmortem, TimelineEntry

T0 = datetime(2026, 11, 21, 13, 5, tzinfo=UTC)


def entry(entry_id: int, minutes: int) -> TimelineEntry:
    return TimelineEntry(
        id=entry_id,
        postmortem_id=1,
        occurred_at=T0 + timedelta(minutes=minutes),
        text=f"e{entry_id}",
        created_at=T0,
    )


def test_entries_are_ordered_by_time_then_by_insertion() -> None:
    entries = [entry(3, 10), entry(1, 0), entry(4, 0), entry(2, -5)]
    assert [e.id for e in tl.ordered(entries)] == [2, 1, 4, 3]


@pytest.mark.parametrize(
    ("total", "page", "number", "count", "size", "first", "prev", "next_"),
    [
        (0, 0, 0, 1, 0, 1, False, False),
        (20, 0, 0, 1, 20, 1, False, False),
        (21, 1, 1, 2, 1, 21, True, False),
        (60, 1, 1, 3, 20, 21, True, True),
        (60, 7, 2, 3, 20, 41, True, False),
        (60, -1, 0, 3, 20, 1, False, True),
    ],
)
def test_paging(
    total: int, page: int, number: int, count: int, size: int, first: int, prev: bool, next_: bool
) -> None:
    shown = tl.paginate(list(range(total)), page)
    got = (shown.number, shown.count, len(shown.items), shown.first)
    assert got == (number, count, size, first)
    assert (shown.has_prev, shown.has_next) == (prev, next_)


def test_page_holding_an_entry() -> None:
    entries = [entry(i, i) for i in range(1, 61)]
    assert tl.page_holding(entries, 1) == 0
    assert tl.page_holding(entries, 21) == 1
    assert tl.page_holding(entries, 60) == 2
    assert tl.page_holding(entries, 999) == 0


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/Berlin", "Sat 21 Nov 14:05 CET"),
        ("America/New_York", "Sat 21 Nov 08:05 EST"),
        ("Asia/Tokyo", "Sat 21 Nov 22:05 JST"),
        ("UTC", "Sat 21 Nov 13:05 UTC"),
        ("Nowhere/Special", "Sat 21 Nov 13:05 UTC"),
    ],
)
def test_format_in_zone(tz: str, expected: str) -> None:
    assert tl.format_in_zone(T0, tz) == expected


def test_typed_form_round_trips_in_the_users_zone() -> None:
    assert tl.typed_form(T0, "America/New_York") == "2026-11-21 08:05"


def test_incident_day_is_the_start_in_the_users_zone() -> None:
    incident = Incident(
        reference="INC",
        title="t",
        severity=2,
        created_at=T0,
        started_at=datetime(2026, 11, 21, 23, 30, tzinfo=UTC),
    )
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert tl.incident_day(incident, "Europe/Berlin", now) == date(2026, 11, 22)
    assert tl.incident_day(incident, "America/New_York", now) == date(2026, 11, 21)
    incident.started_at = None
    assert tl.incident_day(incident, "UTC", now) == date(2026, 12, 1)


def test_check_entry_rejects_rather_than_truncates() -> None:
    assert tl.check_entry("  Deploy started \n", "  ") == ("Deploy started", None)
    with pytest.raises(FieldErrors) as err:
        tl.check_entry("x" * 3001, "a" * 256)
    assert set(err.value.errors) == {"text", "actor"}
    with pytest.raises(FieldErrors):
        tl.check_entry("   ", None)
    assert tl.check_entry("x" * 3000, None)[0] == "x" * 3000


def test_captured_message_keeps_its_exact_time_and_key() -> None:
    draft = tl.captured_entry(
        channel_id="C1",
        ts="1763730300.000200",
        text="Deploy started",
        author="alice",
        link="https://x/p1",
        source="reaction",
    )
    assert draft.occurred_at == datetime(2025, 11, 21, 13, 5, 0, 200, tzinfo=UTC)
    assert draft.message_key == "C1:1763730300.000200"
    assert (draft.source, draft.actor, draft.link) == ("reaction", "alice", "https://x/p1")


def test_capture_target_is_the_newest_postmortem_still_being_written() -> None:
    def pm(pm_id: int, status: str) -> Postmortem:
        return Postmortem(
            id=pm_id, incident_id=pm_id, owner_id="U", status=status, created_at=T0, updated_at=T0
        )

    assert tl.capture_target([pm(3, "closed"), pm(2, "in_review"), pm(1, "draft")]).id == 2
    assert tl.capture_target([pm(1, "published")]) is None
    assert tl.capture_target([]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PagerDuty alert fired for checkout", "detected"),
        ("Rolled back to v1.2", "rollback"),
        ("Error rate back to normal, resolved", "resolved"),
        ("Deployed v1.3 to prod", "deploy"),
        ("Lunch", None),
    ],
)
def test_milestone_hints(text: str, expected: str | None) -> None:
    assert tl.milestone(text) == expected
