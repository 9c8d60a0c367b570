"""Severity rules and deadlines, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.errors import FieldErrors
from flows.policy import (
    Deadline,
    Policy,
    PolicyError,
    add_business_days,
    next_weekly,
    policy_from_dict,
)
from flows.severity import parse_severity


@pytest.mark.parametrize(
    ("text", "level"),
    [("SEV0", 0), ("sev1", 1), ("SEV-2", 2), ("P3", 3), ("p4", 4), ("2", 2), (" Sev 1 ", 1)],
)
def test_severity_spellings(text: str, level: int) -> None:
    assert parse_severity(text) == level


@pytest.mark.parametrize("text", ["SEV5", "P9", "critical", "", "1.5"])
def test_unknown_severities_are_field_errors(text: str) -> None:
    with pytest.raises(FieldErrors):
        parse_severity(text)


@pytest.mark.parametrize(
    ("severity", "minutes", "repeated", "required"),
    [
        (0, 5, False, True),
        (1, None, False, True),
        (2, 31, False, True),
        (2, 30, False, False),
        (2, 10, True, True),
        (3, 600, True, False),
        (4, None, False, False),
    ],
)
def test_requirement_by_severity(
    severity: int, minutes: int | None, repeated: bool, required: bool
) -> None:
    impact = timedelta(minutes=minutes) if minutes is not None else None
    assert Policy().requirement(severity, impact, repeated)[0] is required


def test_default_deadline_is_48_hours_in_utc() -> None:
    resolved = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # DST ends in Europe the next day
    assert Deadline().due_at(resolved) == datetime(2026, 10, 26, 22, 30, tzinfo=UTC)


def test_business_days_skip_weekend_and_holidays() -> None:
    # Resolved Wednesday 23 Dec 2026, 16:00 Berlin: 25/26 Dec are German holidays, then a weekend.
    resolved = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
    due = add_business_days(resolved, 5, "Europe/Berlin", "DE")
    # Thu 24 (1), Mon 28 (2), Tue 29 (3), Wed 30 (4), Thu 31 (5) — 16:00 Berlin.
    assert due == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)


def test_business_days_keep_wall_clock_across_dst() -> None:
    resolved = datetime(2026, 10, 23, 8, 0, tzinfo=UTC)  # Fri 10:00 CEST
    due = add_business_days(resolved, 1, "Europe/Berlin")
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # Mon 10:00 CET


def test_next_weekly_in_owner_zone() -> None:
    after = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 19:00 Tokyo
    assert next_weekly(after, 0, 9, "Asia/Tokyo") == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert next_weekly(after, 0, 9, "America/New_York") == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_policy_file_overrides_defaults() -> None:
    policy = policy_from_dict(
        {
            "required": {
                "always": ["P0"],
                "conditional": ["SEV1", "SEV2"],
                "min_impact_minutes": 15,
            },
            "deadline": {"business_days": 5, "country": "DE", "timezone": "Europe/Berlin"},
            "reminders_before_hours": [48, 2],
            "weekly_nudge": {"weekday": "friday", "hour": 14},
            "roles": {"engineering_manager": "U0EM"},
            "reviewers": {"SEV1": ["engineering_manager"]},
        }
    )
    assert policy.always == frozenset({0})
    assert policy.requirement(1, timedelta(minutes=20), False)[0]
    assert policy.deadline.business_days == 5 and policy.deadline.hours is None
    assert policy.reminder_offsets == (timedelta(hours=48), timedelta(hours=2))
    assert (policy.nudge_weekday, policy.nudge_hour) == (4, 14)
    assert policy.required_reviewer_roles(1) == ("engineering_manager",)


def test_teams_name_each_persons_manager_and_the_role_covers_the_rest() -> None:
    policy = policy_from_dict({
        "roles": {"engineering_manager": "U0EM", "vp_engineering": "U0VP"},
        "teams": {"payments": {"manager": "U0PAY", "members": ["U0ANA", "U0BEN"]}},
        "rollup_after_days": 10,
    })
    assert policy.teams["payments"].members == ("U0ANA", "U0BEN")
    assert policy.rollup_after_days == 10 and Policy().rollup_after_days == 7
    assert policy.manager_of("U0ANA") == "U0PAY"
    assert policy.manager_of("U0CARL") == "U0EM"
    assert policy.manager_of("U0EM") is None  # nobody is their own manager
    assert policy.escalation_roles("U0ANA") == ["U0PAY", "U0VP"]
    assert Policy().manager_of("U0ANA") is None and Policy().escalation_roles("U0ANA") == []
    assert policy.names_managers and not Policy().names_managers


def test_a_team_without_a_manager_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"teams\.payments"):
        policy_from_dict({"teams": {"payments": {"members": ["U0ANA"]}}})
