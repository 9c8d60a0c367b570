"""A small program history with numbers worked out by hand (test_tracker_metrics.py says
how), written straight to the database: five incidents of workspace T1, one of T2."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from storage.db import make_engine, session_factory, session_scope
from storage.tables import ActionItem, Incident, Postmortem, TimelineEntry

NOW = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
TEAM, OTHER = "T1", "T2"


def t(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def add(
    session: Session, ref: str, *, severity: int, services: list[str], team: str | None = TEAM,
    started: datetime | None, created: datetime | None = None,
    items: tuple[tuple[str, date | None], ...] = (),
    marks: tuple[tuple[str | None, datetime], ...] = (), **cols: Any,
) -> Postmortem:
    incident_cols = {k: cols.pop(k) for k in ("detected_at", "acknowledged_at", "resolved_at",
                                               "mitigated_at") if k in cols}
    incident = Incident(reference=ref, title=f"{ref} outage", severity=severity,
                        services=services, started_at=started,
                        created_at=created or started or NOW, **incident_cols)
    session.add(incident)
    session.flush()
    at = created or started or NOW
    pm = Postmortem(incident_id=incident.id, team_id=team, owner_id="U0ALICE",
                    facilitator_id="U0BOB", created_at=at, updated_at=at, **cols)
    session.add(pm)
    session.flush()
    assert pm.id is not None
    for number, (status, due) in enumerate(items, start=1):
        session.add(ActionItem(postmortem_id=pm.id, number=number, title=f"{ref} item {number}",
                               owner_id="U0CAROL", status=status, due_on=due, created_at=at,
                               updated_at=at))
    for milestone, when in marks:
        session.add(TimelineEntry(postmortem_id=pm.id, occurred_at=when, text="entry",
                                  milestone=milestone, created_at=at))
    session.flush()
    return pm


def write_history(session: Session) -> dict[str, int]:
    """A..E in T1 (A, B on api; C, D on search; E on billing), X in T2 on billing."""
    a_res, b_res, e_res = t(3, 1, 11, 5), t(3, 20, 10, 20), t(4, 10, 8, 30)
    pms = {
        "A": add(session, "INC-A", severity=1, services=["api"], started=t(3, 1, 10),
                 detected_at=t(3, 1, 10, 5), acknowledged_at=t(3, 1, 10, 15),
                 resolved_at=a_res, status="published", published_at=a_res + timedelta(hours=24),
                 due_at=a_res + timedelta(hours=48),
                 items=(("done", None), ("open", date(2026, 4, 10)),
                        ("wont_do", date(2026, 3, 1)))),
        "B": add(session, "INC-B", severity=1, services=["api", "db"], started=t(3, 20, 8),
                 detected_at=t(3, 20, 8, 20), acknowledged_at=t(3, 20, 8, 30),
                 resolved_at=b_res, status="published", published_at=b_res + timedelta(hours=72),
                 due_at=b_res + timedelta(hours=48),
                 items=(("done", None), ("in_progress", date(2026, 5, 1)), ("done", None))),
        # C's detection and acknowledgement are marked timeline entries, not columns.
        "C": add(session, "INC-C", severity=2, services=["search"], started=t(4, 2),
                 resolved_at=t(4, 2, 2), status="draft", due_at=t(4, 4, 2),
                 items=(("open", None),),
                 marks=((None, t(4, 2, 0, 5)), ("detected", t(4, 2, 0, 30)),
                        ("acknowledged", t(4, 2, 0, 40)), ("detected", t(4, 2, 0, 50)))),
        "D": add(session, "INC-D", severity=2, services=["search"], started=t(4, 5, 12),
                 detected_at=t(4, 5, 12, 10), acknowledged_at=t(4, 5, 12, 12),
                 resolved_at=t(4, 5, 12, 40), status="draft", required=False),
        # E has no start time: its first timeline entry is the start; dated by creation.
        "E": add(session, "INC-E", severity=1, services=["billing"], started=None,
                 created=t(4, 10, 7), detected_at=t(4, 10, 6, 30),
                 acknowledged_at=t(4, 10, 6, 45), resolved_at=e_res, status="closed",
                 published_at=e_res + timedelta(hours=36), due_at=e_res + timedelta(hours=48),
                 items=(("done", None), ("done", None)), marks=((None, t(4, 10, 6)),)),
        # Another workspace: would make E a recurrence, and add a late item, if it leaked in.
        "X": add(session, "INC-X", severity=1, services=["billing"], team=OTHER,
                 started=t(4, 1), resolved_at=t(4, 1, 1), status="draft",
                 items=(("open", date(2026, 4, 1)),)),
    }
    return {name: pm.id for name, pm in pms.items() if pm.id is not None}


@pytest.fixture
def history(db_url: str):  # type: ignore[no-untyped-def]
    """A session on the history, SQLite and PostgreSQL in turn."""
    engine = make_engine(db_url)
    with session_scope(session_factory(engine)) as s:
        write_history(s)
    with session_scope(session_factory(engine)) as s:
        yield s
    engine.dispose()
