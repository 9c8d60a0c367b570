"""The monthly program report's numbers: the month's tracker metrics and the months before it,
for the trend. Months are calendar months in UTC, by the incident's date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from flows.errors import PostmortemError
from flows.metrics import PUBLISH_DEADLINE, TrackerMetrics, tracker_metrics
from flows.policy import Policy

TREND_MONTHS = 6
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ProgramReport:
    team_id: str | None
    month: str
    metrics: TrackerMetrics
    # Oldest first, ending with `month` itself.
    trend: list[tuple[str, TrackerMetrics]]


def month_start(month: str) -> datetime:
    """`"2026-11"` → 2026-11-01 00:00 UTC; anything else is refused in words."""
    found = _MONTH.match(month.strip())
    if not found:
        raise PostmortemError(f"“{month}” is not a month: write it as YYYY-MM, e.g. 2026-11.")
    return datetime(int(found[1]), int(found[2]), 1, tzinfo=UTC)


def next_month(month: str) -> str:
    start = month_start(month)
    return f"{(start + timedelta(days=32)).replace(day=1):%Y-%m}"


def previous_month(month: str) -> str:
    return f"{month_start(month) - timedelta(days=1):%Y-%m}"


def month_of(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m}"


def program_report(
    session: Session, *, team_id: str | None, month: str, now: datetime,
    deadline: timedelta = PUBLISH_DEADLINE, months: int = TREND_MONTHS,
) -> ProgramReport:
    names = [month]
    while len(names) < months:
        names.insert(0, previous_month(names[0]))
    trend = [
        (name, tracker_metrics(session, team_id=team_id, now=now, since=month_start(name),
                               until=month_start(next_month(name)), deadline=deadline))
        for name in names
    ]
    return ProgramReport(team_id, month, trend[-1][1], trend)


def publish_deadline(policy: Policy) -> timedelta:
    """The policy's deadline as a duration to hold the publish times against (business days
    count as whole days: the per-post-mortem due dates are exact, this is the yardstick)."""
    if policy.deadline.business_days is not None:
        return timedelta(days=policy.deadline.business_days)
    return timedelta(hours=policy.deadline.hours or 48)
