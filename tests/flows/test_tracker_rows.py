"""The tracker (storage/queries/tracker.py, flows/tracker_rows.py) over the hand-made history
of tests/flows/history.py: order, every filter, the workspace scope, and the columns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from flows.tracker_rows import TRACKER_COLUMNS, TrackerRow, tracker_row
from storage.queries.tracker import EVERY_WORKSPACE, TrackerFilter, tracker_page
from tests.flows.history import (
    NOW,
    OTHER,
    TEAM,
    add,
    t,
)


def refs(session: Session, team: str | None = TEAM, **filters: object) -> list[str]:
    entries, total = tracker_page(session, team_id=team, filters=TrackerFilter(**filters),
                                  now=NOW)
    assert total == len(entries)
    return [e.incident.reference.removeprefix("INC-") for e in entries]


def rows(session: Session) -> dict[str, TrackerRow]:
    entries, _ = tracker_page(session, team_id=TEAM, filters=TrackerFilter(), now=NOW)
    return {e.incident.reference.removeprefix("INC-"): tracker_row(e) for e in entries}


def test_newest_incident_first_in_the_workspace(history: Session) -> None:
    session = history
    assert refs(session) == ["E", "D", "C", "B", "A"]
    assert refs(session, OTHER) == ["X"]
    assert refs(session, EVERY_WORKSPACE) == ["E", "D", "C", "X", "B", "A"]
    entries, total = tracker_page(session, team_id=TEAM, filters=TrackerFilter(), now=NOW,
                                  offset=1, limit=2)
    assert total == 5 and [e.incident.reference for e in entries] == ["INC-D", "INC-C"]


@pytest.mark.parametrize(("filters", "expected"), [
    ({"statuses": ("published",)}, ["B", "A"]),
    ({"statuses": ("draft", "closed")}, ["E", "D", "C"]),
    ({"severity": 2}, ["D", "C"]),
    ({"service": "api"}, ["B", "A"]),
    ({"service": "db"}, ["B"]),
    ({"service": "ap"}, []),  # a service is matched whole
    ({"service": "billing"}, ["E"]),  # X is another workspace's
    ({"open": True}, ["D", "C", "B", "A"]),
    # C's deadline passed unpublished; A has an item past due. B's item is due next month.
    ({"overdue": True}, ["C", "A"]),
    ({"mine": "U0CAROL"}, ["E", "C", "B", "A"]),  # she owns items; D has none
    ({"mine": "U0BOB"}, ["E", "D", "C", "B", "A"]),  # the facilitator
    ({"since": t(4, 2)}, ["E", "D", "C"]),
    ({"since": t(3, 2), "until": t(4, 3)}, ["C", "B"]),
    ({"severity": 1, "open": True, "service": "api"}, ["B", "A"]),
])
def test_filters(history: Session, filters: dict[str, object], expected: list[str]) -> None:
    session = history
    assert refs(session, **filters) == expected


def test_teams_filter_names_workspaces(history: Session) -> None:
    session = history
    assert refs(session, EVERY_WORKSPACE, teams=(OTHER,)) == ["X"]
    assert refs(session, EVERY_WORKSPACE, teams=(TEAM, OTHER), service="billing") == ["E", "X"]


def test_service_names_are_not_patterns(history: Session) -> None:
    session = history
    add(session, "INC-W1", severity=3, services=["a_b%"], started=t(1, 1))
    add(session, "INC-W2", severity=3, services=["axbz", "a\\b"], started=t(1, 2))
    assert refs(session, service="a_b%") == ["W1"]
    assert refs(session, service="a\\b") == ["W2"]
    assert refs(session, service="a%") == []


def test_the_columns(history: Session) -> None:
    session = history
    by_ref = rows(session)
    a, c, d, e = by_ref["A"], by_ref["C"], by_ref["D"], by_ref["E"]
    # A: start 10:00 → resolved 11:05, no mitigation recorded: 65 minutes of impact.
    assert a.duration == timedelta(minutes=65) and e.duration == timedelta(minutes=150)
    assert c.duration == timedelta(hours=2)
    # A: 3 items, one done, one won't do → 1 of the 2 still meant to be done.
    assert (a.items, a.items_done, a.items_overdue, a.done_percent) == (3, 1, 1, 50)
    assert (c.items, c.done_percent) == (1, 0)
    assert (d.items, d.done_percent) == (0, None)
    assert e.done_percent == 100
    values = a.values(author="alice", link="https://archive.example/INC-A")
    assert len(values) == len(TRACKER_COLUMNS)
    assert dict(zip(TRACKER_COLUMNS, values, strict=True)) == {
        "Incident": "INC-A", "Title": "INC-A outage", "Severity": "SEV1", "Date": "2026-03-01",
        "Service": "api", "Duration (minutes)": "65", "Impact": "", "Author": "alice",
        "Status": "Published", "Action items": "3", "Action items done (%)": "50",
        "Published": "2026-03-02", "Link": "https://archive.example/INC-A",
    }
