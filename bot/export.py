"""`postmortem-bot export`: the tracker for spreadsheets and BI, every post-mortem in the
tracker's columns (flows/tracker_rows.py): CSV with the same header, or JSON lines' worth of
objects with snake_case keys and raw values (ISO dates, minutes, Slack ids)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import IO, Any

from sqlmodel import Session

from bot.slack.home.rows import row_link
from flows.tracker_rows import TRACKER_COLUMNS, TrackerRow, tracker_row
from storage.queries import tracker
from storage.queries.names import person_names
from storage.queries.tracker import EVERY_WORKSPACE, TrackerFilter

BATCH = 1000


def json_key(column: str) -> str:
    """"Action items done (%)" → "action_items_done_percent"."""
    return re.sub(r"[^a-z0-9]+", "_", column.lower().replace("%", "percent")).strip("_")


def tracker_rows(
    session: Session, *, now: datetime, since: datetime | None = None, teams: Sequence[str] = ()
) -> Iterator[TrackerRow]:
    """Every post-mortem (of `teams`, or of every workspace), newest incident first, read in
    batches so memory stays flat."""
    filters = TrackerFilter(since=since, teams=tuple(teams))
    offset = 0
    while True:
        entries, _ = tracker.tracker_page(session, team_id=EVERY_WORKSPACE, filters=filters,
                                          now=now, offset=offset, limit=BATCH)
        yield from (tracker_row(e) for e in entries)
        if len(entries) < BATCH:
            return
        offset += BATCH


def _author(session: Session, row: TrackerRow, cache: dict[tuple[str, str], str]) -> str:
    key = (row.team_id or "", row.author_id)
    if key not in cache:
        found = person_names(session, team_id=row.team_id, user_ids=[row.author_id])
        cache[key] = found.get(row.author_id, row.author_id)
    return cache[key]


def write_export(
    session: Session, out: IO[str], *, fmt: str, now: datetime, since: datetime | None = None,
    teams: Sequence[str] = (),
) -> int:
    """Write the tracker to `out`; returns the number of post-mortems written."""
    names: dict[tuple[str, str], str] = {}
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(TRACKER_COLUMNS)
        for row in tracker_rows(session, now=now, since=since, teams=teams):
            writer.writerow(row.values(author=_author(session, row, names), link=row_link(row)))
            count += 1
        return count
    records: list[dict[str, Any]] = []
    for row in tracker_rows(session, now=now, since=since, teams=teams):
        records.append(json_record(row, author=_author(session, row, names)))
    json.dump(records, out, indent=1, ensure_ascii=False)
    out.write("\n")
    return len(records)


def json_record(row: TrackerRow, *, author: str) -> dict[str, Any]:
    """The CSV's columns with typed values, plus the ids a BI tool joins on."""
    values: list[Any] = [
        row.reference, row.title, row.severity_label, row.date.isoformat(), list(row.services),
        row.duration_minutes, row.impact, author, row.status_label, row.items, row.done_percent,
        row.published_at.isoformat() if row.published_at else None, row_link(row) or None,
    ]
    record = dict(zip((json_key(c) for c in TRACKER_COLUMNS), values, strict=True))
    return {"id": row.pm_id, "team_id": row.team_id, "author_id": row.author_id,
            "status_key": row.status, "severity_level": row.severity, **record}
