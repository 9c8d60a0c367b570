"""SQLite keeps datetimes as text without an offset; they come back aware, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects import sqlite

from storage.types import UTCDateTime, from_sqlite_many

READ = UTCDateTime().result_processor(sqlite.dialect(), None)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-03-14 10:00:00.000000", datetime(2026, 3, 14, 10, 0, tzinfo=UTC)),
        ("2026-03-14 10:00:00.250000", datetime(2026, 3, 14, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2026-03-14", datetime(2026, 3, 14, tzinfo=UTC)),  # parses naive with "+00:00" added
        ("2026-03-14T10:00:00Z", datetime(2026, 3, 14, 10, 0, tzinfo=UTC)),
        ("2026-03-14 12:00:00+02:00", datetime(2026, 3, 14, 10, 0, tzinfo=UTC)),
    ],
)
def test_sqlite_text_reads_as_aware_utc(stored: str, expected: datetime) -> None:
    at = READ(stored)
    assert at == expected
    assert at.utcoffset() is not None and at.utcoffset().total_seconds() == 0


def test_null_stays_none() -> None:
    assert READ(None) is None


def test_a_column_reads_as_value_by_value() -> None:
    """The batch reader (a timeline's times) gives what the value-by-value one gives, also for
    a batch holding a date alone, text with its own offset, or NULL."""
    usual = ["2026-03-14 10:00:00.000000", "2026-03-14 10:00:00.250000"]
    for batch in (usual, [*usual, "2026-03-14"], [*usual, "2026-03-14 12:00:00+02:00"],
                  [*usual, None]):
        times = from_sqlite_many(batch)
        assert times == [READ(v) for v in batch]
        assert all(t is None or t.utcoffset() is not None for t in times)
