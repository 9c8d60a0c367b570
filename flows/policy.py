"""The team's post-mortem policy: which incidents need one, by when, who signs off, who is chased.

Loaded from `POSTMORTEM_CONFIG` (YAML); every key is optional and falls back to the defaults
below, which follow the seed process documents (48 hours, SEV0–SEV1 always, SEV2 on long or
repeated impact, 24 h / 4 h reminders, day-10 / 2-week / 1-month / day-30 follow-ups).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.errors import PostmortemError
from flows.severity import parse_severity


class PolicyError(PostmortemError):
    """The policy file says something the process cannot follow (its message says what)."""


@dataclass(frozen=True)
class Deadline:
    """Either `hours` after resolution (UTC), or `business_days` in a holiday calendar."""

    hours: int | None = 48
    business_days: int | None = None
    country: str | None = None
    subdivision: str | None = None
    timezone: str = "UTC"

    def due_at(self, resolved_at: datetime) -> datetime:
        if self.business_days is None:
            return resolved_at.astimezone(UTC) + timedelta(hours=self.hours or 48)
        return add_business_days(
            resolved_at, self.business_days, self.timezone, self.country, self.subdivision
        )

    def describe(self) -> str:
        if self.business_days is None:
            return f"{self.hours} hours"
        where = f" ({self.country}{'-' + self.subdivision if self.subdivision else ''} holidays)"
        return f"{self.business_days} business days" + (where if self.country else "")


@dataclass(frozen=True)
class FollowUp:
    """A check-in after publishing: `days` after publication, about `scope`."""

    key: str
    days: int
    scope: str  # "progress" | "p0p1" | "p2" | "recurrence"


@dataclass(frozen=True)
class Team:
    """An engineering team: its manager and the people who report to them (Slack user ids)."""

    manager: str
    members: tuple[str, ...] = ()


# The policy roles escalations fall back to, in order, when a post-mortem names nobody else.
MANAGER_ROLE, VP_ROLE = "engineering_manager", "vp_engineering"


@dataclass(frozen=True)
class Policy:
    always: frozenset[int] = frozenset({0, 1})
    conditional: frozenset[int] = frozenset({2})
    conditional_min_minutes: int = 30
    conditional_repeat_days: int = 90
    deadline: Deadline = field(default_factory=Deadline)
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=4))
    escalation_after: tuple[timedelta, ...] = (timedelta(hours=0), timedelta(hours=24))
    nudge_weekday: int = 0  # Monday
    nudge_hour: int = 9
    digest_channel: str | None = None
    follow_ups: tuple[FollowUp, ...] = (
        FollowUp("day10", 10, "progress"),
        FollowUp("week2", 14, "p0p1"),
        FollowUp("month1", 30, "p2"),
        FollowUp("day30", 30, "recurrence"),
    )
    # Role name -> Slack user id, for reviewers required by severity.
    roles: dict[str, str] = field(default_factory=dict)
    reviewers_by_severity: dict[int, tuple[str, ...]] = field(
        default_factory=lambda: {
            0: ("incident_commander", "engineering_manager", "vp_engineering"),
            1: ("incident_commander", "engineering_manager"),
            2: ("engineering_manager",),
        }
    )
    default_template: str = "comprehensive"
    # Team name -> its manager and members: whose engineering manager hears about a person's
    # overdue items and recurrences. Anyone in no team falls back to the engineering_manager role.
    teams: dict[str, Team] = field(default_factory=dict)
    # Open action items this many days past due roll up to the owner's manager, weekly.
    rollup_after_days: int = 7

    @property
    def names_managers(self) -> bool:
        """Whether anyone could hear about their reports' overdue items."""
        return bool(self.teams or self.roles.get(MANAGER_ROLE))

    def manager_of(self, user_id: str | None) -> str | None:
        """The person's engineering manager: their team's, else the policy's role; never
        themselves (a manager's own items are theirs to chase)."""
        found = next((t.manager for t in self.teams.values() if user_id in t.members), None)
        found = found or self.roles.get(MANAGER_ROLE)
        return found if found and found != user_id else None

    def escalation_roles(self, owner_id: str | None) -> list[str]:
        """Who a late post-mortem escalates to when it names no facilitator or reviewers: the
        owner's engineering manager, then the VP, as the policy's roles say."""
        people = [self.manager_of(owner_id), self.roles.get(VP_ROLE)]
        return list(dict.fromkeys(p for p in people if p and p != owner_id))

    def requirement(
        self, severity: int, impact: timedelta | None, repeated: bool
    ) -> tuple[bool, str]:
        """Is a post-mortem required, and the reason in words."""
        if severity in self.always:
            return True, f"SEV{severity} always needs a post-mortem"
        if severity in self.conditional:
            if impact is not None and impact > timedelta(minutes=self.conditional_min_minutes):
                minutes = int(impact.total_seconds() // 60)
                return True, (
                    f"SEV{severity} with {minutes} min of impact "
                    f"(over {self.conditional_min_minutes})"
                )
            if repeated:
                return True, (
                    f"SEV{severity} on a service with another incident in the last "
                    f"{self.conditional_repeat_days} days"
                )
            return False, f"SEV{severity}: optional (short impact, no repeat)"
        return False, f"SEV{severity}: optional"

    def required_reviewer_roles(self, severity: int) -> tuple[str, ...]:
        return self.reviewers_by_severity.get(severity, ())


def add_business_days(
    start: datetime,
    days: int,
    tz_name: str = "UTC",
    country: str | None = None,
    subdivision: str | None = None,
) -> datetime:
    """`days` business days after `start`: the same wall-clock time on the N-th working day.

    Weekends and the country's public holidays do not count; the wall-clock time is kept in
    `tz_name`, so a DST change between the two days does not shift the hour.
    """
    tz = ZoneInfo(tz_name)
    local = start.astimezone(tz)
    closed = _holiday_calendar(country, subdivision, local.year)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            remaining -= 1
    return datetime.combine(day, local.time(), tz).astimezone(UTC)


def _holiday_calendar(country: str | None, subdivision: str | None, year: int) -> Any:
    if not country:
        return set()
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=range(year, year + 2))
    except NotImplementedError as err:  # the holidays library's answer for an unknown country
        raise PolicyError(f"unknown holiday calendar {country!r}: {err}") from err


def next_weekly(after: datetime, weekday: int, hour: int, tz_name: str) -> datetime:
    """The next `weekday` at `hour`:00 in `tz_name` strictly after `after`, in UTC."""
    tz = ZoneInfo(tz_name)
    local = after.astimezone(tz)
    day: date = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, time(hour), tz)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=7), time(hour), tz)
    return candidate.astimezone(UTC)


def load_policy(path: Path | None) -> Policy:
    """The policy from a YAML file; no file means the defaults."""
    if path is None:
        return Policy()
    # PyYAML only when there is a file to read: most installs have none.
    import yaml

    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise PolicyError(f"POSTMORTEM_CONFIG {path}: {err}") from err
    if not isinstance(raw, dict):
        raise PolicyError(f"POSTMORTEM_CONFIG {path}: expected a mapping at the top")
    return policy_from_dict(raw)


def policy_from_dict(raw: dict[str, Any]) -> Policy:
    base = Policy()
    kw: dict[str, Any] = {}
    req = raw.get("required", {})
    if "always" in req:
        kw["always"] = frozenset(parse_severity(s) for s in req["always"])
    if "conditional" in req:
        kw["conditional"] = frozenset(parse_severity(s) for s in req["conditional"])
    if "min_impact_minutes" in req:
        kw["conditional_min_minutes"] = int(req["min_impact_minutes"])
    if "repeat_within_days" in req:
        kw["conditional_repeat_days"] = int(req["repeat_within_days"])
    dl = raw.get("deadline")
    if dl:
        kw["deadline"] = Deadline(
            hours=dl.get("hours") if "business_days" not in dl else None,
            business_days=dl.get("business_days"),
            country=dl.get("country"),
            subdivision=dl.get("subdivision"),
            timezone=dl.get("timezone", "UTC"),
        )
        ZoneInfo(kw["deadline"].timezone)
    if "reminders_before_hours" in raw:
        kw["reminder_offsets"] = tuple(timedelta(hours=h) for h in raw["reminders_before_hours"])
    if "escalate_after_hours" in raw:
        kw["escalation_after"] = tuple(timedelta(hours=h) for h in raw["escalate_after_hours"])
    nudge = raw.get("weekly_nudge", {})
    if "weekday" in nudge:
        kw["nudge_weekday"] = _weekday(nudge["weekday"])
    if "hour" in nudge:
        kw["nudge_hour"] = int(nudge["hour"])
    if "digest_channel" in nudge:
        kw["digest_channel"] = nudge["digest_channel"]
    if "follow_ups" in raw:
        kw["follow_ups"] = tuple(
            FollowUp(str(f["key"]), int(f["days"]), str(f["scope"])) for f in raw["follow_ups"]
        )
    if "roles" in raw:
        kw["roles"] = {str(k): str(v) for k, v in raw["roles"].items()}
    if "reviewers" in raw:
        kw["reviewers_by_severity"] = {
            parse_severity(k): tuple(v) for k, v in raw["reviewers"].items()
        }
    if "template" in raw:
        kw["default_template"] = str(raw["template"])
    if "teams" in raw:
        kw["teams"] = {str(name): _team(name, spec) for name, spec in (raw["teams"] or {}).items()}
    if "rollup_after_days" in raw:
        kw["rollup_after_days"] = max(0, int(raw["rollup_after_days"]))
    return Policy(**{**base.__dict__, **kw})


def _team(name: str, spec: Any) -> Team:
    if not isinstance(spec, dict) or not spec.get("manager"):
        raise PolicyError(f"teams.{name}: give its manager (a Slack user id) and members")
    return Team(str(spec["manager"]), tuple(str(m) for m in spec.get("members") or ()))


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _weekday(value: str | int) -> int:
    if isinstance(value, int):
        return value % 7
    try:
        return _WEEKDAYS.index(value.strip().lower())
    except ValueError as err:
        raise PolicyError(f"weekly_nudge.weekday: {value!r} is not a day name") from err
