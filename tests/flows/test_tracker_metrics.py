"""The program's numbers (flows/metrics.py tracker_metrics) against values worked out by hand
on the history in tests/flows/history.py, on SQLite and PostgreSQL.

By hand, all time, workspace T1 (X belongs to T2 and counts nowhere):
- required A, B, C, E (D is optional); completed A, B (published), E (closed): 3/4.
- resolution → published: A 24 h, B 72 h, E 36 h; median 36 h; p90 by nearest rank is the
  ceil(0.9 × 3) = 3rd value, 72 h; on time (published by due): A, E → 2/3.
- action items: 9, of which 1 won't do → 8 counted, 5 done → 62.5 %; overdue: A's open item
  due 2026-04-10 (today is 04-20); B's is due 05-01, C's has no date.
- recurrence: B (api, 19 days after A) and D (search, 3 days after C) → 2/5.
- durations (detect = start → detected, acknowledge = detected → acknowledged,
  resolve = detected → resolved), medians per month and severity:
  2026-03 SEV1: A 5/10/60 min, B 20/10/120 min → 12.5 min, 10 min, 90 min.
  2026-04 SEV1: E starts at its first entry 06:00 → 30, 15, 120 min.
  2026-04 SEV2: C (marked: the earliest "detected" 00:30, "acknowledged" 00:40) 30/10/90,
               D 10/2/30 → 20, 6, 60 min.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from flows.metrics import compute_metrics, median, percentile, tracker_metrics
from storage.queries.metrics import (
    ItemTotals,
    MilestoneTable,
    PostmortemTotals,
    recurring_incident_ids,
)
from storage.tables import Incident
from tests.flows.history import (
    NOW,
    OTHER,
    TEAM,
    t,
)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)



def test_every_number_all_time(history: Session) -> None:
    session = history
    m = tracker_metrics(session, team_id=TEAM, now=NOW)
    assert (m.postmortems, m.required, m.completed_required) == (5, 4, 3)
    assert m.completion_rate == 0.75
    assert (m.published, m.publish_median, m.publish_p90) == (
        3, timedelta(hours=36), timedelta(hours=72))
    assert m.published_on_time_rate == pytest.approx(2 / 3)
    assert (m.action_items, m.action_items_done, m.action_items_wont_do) == (8, 5, 1)
    assert m.action_completion_rate == 0.625
    assert m.overdue_items == 1
    assert (m.incidents, m.recurring_incidents, m.recurrence_rate) == (5, 2, 0.4)
    assert m.meets_targets() == {"completion_rate": False, "publish_median": True,
                                 "action_completion_rate": False, "recurrence_rate": False}
    assert [(d.month, d.severity, d.incidents, d.detect, d.acknowledge, d.resolve)
            for d in m.durations] == [
        ("2026-03", 1, 2, minutes(12.5), minutes(10), minutes(90)),
        ("2026-04", 1, 1, minutes(30), minutes(15), minutes(120)),
        ("2026-04", 2, 2, minutes(20), minutes(6), minutes(60)),
    ]


def test_since_a_date(history: Session) -> None:
    session = history
    """From 2026-03-15: B, C, D, E. B still recurs: A lies in the 90 days before it."""
    m = tracker_metrics(session, team_id=TEAM, now=NOW, since=t(3, 15))
    assert (m.required, m.completed_required) == (3, 2)
    assert (m.publish_median, m.publish_p90) == (timedelta(hours=54), timedelta(hours=72))
    assert (m.action_items, m.action_items_done, m.overdue_items) == (6, 4, 0)
    assert (m.incidents, m.recurring_incidents) == (4, 2)


def test_one_month_and_another_workspace(history: Session) -> None:
    session = history
    april = tracker_metrics(session, team_id=TEAM, now=NOW, since=t(4, 1), until=t(5, 1))
    assert (april.incidents, april.required, april.completed_required) == (3, 2, 1)
    assert april.recurring_incidents == 1  # D
    other = tracker_metrics(session, team_id=OTHER, now=NOW)
    assert (other.incidents, other.recurring_incidents, other.overdue_items) == (1, 0, 1)


def test_recurrence_is_one_function(history: Session) -> None:
    session = history
    """The boundary explicit recurrences plug into: incident ids, windowed, scoped."""
    refs = dict(session.exec(select(Incident.id, Incident.reference)).all())
    named = lambda ids: sorted(refs[i] for i in ids)  # noqa: E731
    assert named(recurring_incident_ids(session, team_id=TEAM, since=None)) == ["INC-B", "INC-D"]
    assert named(recurring_incident_ids(session, team_id=TEAM, since=t(4, 3))) == ["INC-D"]
    assert named(recurring_incident_ids(session, team_id=OTHER, since=None)) == []


def test_nothing_to_measure(history: Session) -> None:
    session = history
    m = tracker_metrics(session, team_id="T-EMPTY", now=NOW)
    assert m.completion_rate is None and m.publish_median is None and m.durations == []
    assert set(m.meets_targets().values()) == {None}


def test_median_and_percentile_by_hand() -> None:
    values = [minutes(n) for n in (50, 10, 40, 20, 30)]
    assert median(values) == minutes(30)
    assert median(values[:4]) == minutes(30)  # 10 20 40 50 → (20 + 40) / 2
    assert percentile(values, 0.9) == minutes(50)  # ceil(4.5) = 5th
    assert percentile(values, 0.5) == minutes(30)
    assert median([]) is None and percentile([], 0.9) is None


def test_the_action_item_target_is_strictly_over_90_percent() -> None:
    m = compute_metrics(PostmortemTotals(1, 1, 1), [], ItemTotals(10, 9, 0, 0),
                        MilestoneTable((), []), 0,
                        deadline=timedelta(hours=48))
    assert m.action_completion_rate == 0.9
    assert m.meets_targets()["action_completion_rate"] is False
