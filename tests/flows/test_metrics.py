"""Per-incident durations, error budget and the summary sentence (the tracker over many:
test_tracker_metrics.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.metrics import (
    error_budget,
    format_duration,
    incident_metrics,
    one_sentence_summary,
)
from tests.flows.factories import at, empty_record, entry, full_record


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (None, ""),
        (timedelta(0), "0 min"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=2, seconds=15), "2 min 15 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=1, minutes=12, seconds=40), "1 h 12 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(days=2, hours=3), "2 d 3 h"),
        (timedelta(days=2, minutes=5), "2 d"),
        (timedelta(minutes=-5), "-5 min"),
    ],
)
def test_format_duration(td: timedelta | None, expected: str) -> None:
    assert format_duration(td) == expected


def test_incident_metrics_from_milestones() -> None:
    m = incident_metrics(full_record())
    assert m.time_to_detect == timedelta(minutes=2, seconds=15)
    assert m.time_to_acknowledge == timedelta(seconds=45)
    assert m.time_to_mitigate == timedelta(minutes=6, seconds=45)
    # Time to resolve runs from detection (seed 001's MTTR, seed 002's time to fix).
    assert m.time_to_resolve == timedelta(minutes=9, seconds=45)
    assert m.time_to_diagnose == timedelta(minutes=2)
    assert m.impact == timedelta(minutes=9)
    assert m.actions_by_priority == {"P0": 1, "P1": 1, "P2": 1, "P3": 1}
    assert m.actions_by_status == {"open": 2, "in_progress": 1, "done": 1, "wont_do": 0}


def test_first_timeline_entry_stands_in_for_a_missing_start() -> None:
    record = full_record()
    record.incident.started_at = None
    record.timeline.insert(0, entry(-5, "Deploy finished"))
    m = incident_metrics(record)
    assert m.started_at == at(-5)
    assert m.time_to_detect == timedelta(minutes=7, seconds=15)
    assert m.impact == timedelta(minutes=14)


def test_missing_or_backwards_milestones_give_no_duration() -> None:
    assert incident_metrics(empty_record()).impact is None
    record = full_record()
    record.incident.acknowledged_at = at(1)  # before detection: a typo, not -1 min
    assert incident_metrics(record).time_to_acknowledge is None


def test_impact_minutes_override_the_timestamps() -> None:
    record = full_record()
    record.postmortem.impact_minutes = 30
    assert incident_metrics(record).impact == timedelta(minutes=30)


def test_error_budget_is_computed_from_the_slo_for_a_30_day_window() -> None:
    record = full_record()
    record.postmortem.impact_minutes = 12
    budget = error_budget(record)
    assert budget is not None
    assert budget.budget == timedelta(minutes=43, seconds=12)
    assert budget.used_percent == pytest.approx(27.78, abs=0.01)
    assert budget.describe() == "27.8% of the 30-day budget (43 min 12 s at 99.9%)"


def test_entered_error_budget_wins_and_no_slo_means_none() -> None:
    record = full_record()
    record.postmortem.error_budget_used = "0.5% of monthly budget"
    budget = error_budget(record)
    assert budget is not None and budget.describe() == "0.5% of monthly budget"
    record.postmortem.slo_target = None
    record.postmortem.error_budget_used = None
    assert error_budget(record) is None


def test_one_sentence_summary_is_the_draft_summary() -> None:
    assert one_sentence_summary(full_record(), "Europe/Berlin") == (
        "On 2026-03-14 at 10:00 CET, an incident affected checkout-api and postgres: Checkout "
        "API returned 500 errors. User impact lasted 9 min. Users affected: about 500 users "
        "(25% of active users). Customer impact: Customers saw 'Service temporarily "
        "unavailable' at checkout. Root cause: Release process lacks a capacity review for "
        "connection pool settings. Mitigation: raising the pool size to 50 and restarting "
        "the pods. Permanent fix: pool autoscaling with PgBouncer."
    )
    assert one_sentence_summary(empty_record()) == "An incident occurred: Search is slow."
