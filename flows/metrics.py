"""Facts computed from post-mortems: incident durations, error budget, tracker health.

Seed 001 ("Tracking & Metrics") sets the tracker targets; seed 003's key milestones name the
per-incident durations (time to detect, MTTA, time to mitigate, MTTR); seed 002 adds
time to fix (detection to permanent fix, which we take as resolution).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage.record import PostmortemRecord
from storage.tables import ActionItem

PRIORITIES = ("P0", "P1", "P2", "P3")
ACTION_STATUSES = ("open", "in_progress", "done", "wont_do")
OPEN_STATUSES = frozenset({"open", "in_progress"})
COMPLETED_PM_STATUSES = frozenset({"published", "closed"})
SLO_WINDOW = timedelta(days=30)
RECURRENCE_WINDOW = timedelta(days=90)

# Seed 001: completion 100 % (P0), publish < 48 h, action items > 90 %, recurrence < 10 %.
TARGETS = {
    "completion_rate": 1.0,
    "avg_time_to_publish": timedelta(hours=48),
    "action_completion_rate": 0.9,
    "recurrence_rate": 0.1,
}


@dataclass(frozen=True)
class ErrorBudget:
    slo_target: float
    budget: timedelta
    used_percent: float | None
    entered: str | None

    def describe(self) -> str:
        """The entered figure wins: the author may know better than our 30-day estimate."""
        if self.entered:
            return self.entered
        if self.used_percent is None:
            return ""
        return (
            f"{self.used_percent:.1f}% of the 30-day budget "
            f"({format_duration(self.budget)} at {self.slo_target:g}%)"
        )


@dataclass(frozen=True)
class IncidentMetrics:
    started_at: datetime | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    impact: timedelta | None
    time_to_detect: timedelta | None
    time_to_acknowledge: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None
    time_to_fix: timedelta | None
    error_budget: ErrorBudget | None
    actions_by_priority: dict[str, int] = field(default_factory=dict)
    actions_by_status: dict[str, int] = field(default_factory=dict)


def _span(start: datetime | None, end: datetime | None) -> timedelta | None:
    # A milestone recorded before its predecessor is a typo, not a negative duration.
    if start is None or end is None or end < start:
        return None
    return end - start


def effective_start(record: PostmortemRecord) -> datetime | None:
    """When the incident started: as entered, else the first timeline entry."""
    if record.incident.started_at is not None:
        return record.incident.started_at
    if record.timeline:
        return min(entry.occurred_at for entry in record.timeline)
    return None


def impact_duration(record: PostmortemRecord) -> timedelta | None:
    """Impact as entered, else start (or first timeline entry) to mitigated or resolved."""
    if record.postmortem.impact_minutes is not None:
        return timedelta(minutes=record.postmortem.impact_minutes)
    inc = record.incident
    return _span(effective_start(record), inc.mitigated_at or inc.resolved_at)


def error_budget(record: PostmortemRecord) -> ErrorBudget | None:
    """Share of a 30-day error budget the impact used; None when no SLO was given."""
    pm = record.postmortem
    if pm.slo_target is None or not 0 < pm.slo_target < 100:
        if pm.error_budget_used:
            return ErrorBudget(pm.slo_target or 0.0, timedelta(0), None, pm.error_budget_used)
        return None
    budget = SLO_WINDOW * (1 - pm.slo_target / 100)
    impact = impact_duration(record)
    used = None if impact is None else impact / budget * 100
    return ErrorBudget(pm.slo_target, budget, used, pm.error_budget_used or None)


def count_actions(items: Iterable[ActionItem]) -> tuple[dict[str, int], dict[str, int]]:
    """Action items counted by priority and by status, every known key present."""
    items = list(items)
    by_priority = dict.fromkeys(PRIORITIES, 0) | Counter(a.priority for a in items)
    by_status = dict.fromkeys(ACTION_STATUSES, 0) | Counter(a.status for a in items)
    return by_priority, by_status


def incident_metrics(record: PostmortemRecord) -> IncidentMetrics:
    inc = record.incident
    start = effective_start(record)
    by_priority, by_status = count_actions(record.action_items)
    return IncidentMetrics(
        started_at=start,
        detected_at=inc.detected_at,
        acknowledged_at=inc.acknowledged_at,
        mitigated_at=inc.mitigated_at,
        resolved_at=inc.resolved_at,
        impact=impact_duration(record),
        time_to_detect=_span(start, inc.detected_at),
        time_to_acknowledge=_span(inc.detected_at, inc.acknowledged_at),
        time_to_mitigate=_span(inc.detected_at, inc.mitigated_at),
        time_to_resolve=_span(start, inc.resolved_at),
        time_to_fix=_span(inc.detected_at, inc.resolved_at),
        error_budget=error_budget(record),
        actions_by_priority=by_priority,
        actions_by_status=by_status,
    )


_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def format_duration(td: timedelta | None) -> str:
    """`1 h 12 min`: the two largest units, seconds only under an hour; '' for None."""
    if td is None:
        return ""
    total = round(td.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total == 0:
        return "0 min"
    if total >= 3600:
        total -= total % 60
    parts: list[str] = []
    for name, size in _UNITS:
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount} {name}")
        elif parts:
            break  # a zero in the middle ends it: "2 d" rather than "2 d 0 h 5 min"
        if len(parts) == 2:
            break
    return sign + " ".join(parts)


def _clause(text: str | None, lower: bool = False) -> str | None:
    """Text to splice into a sentence: one line, no final full stop."""
    if not text:
        return None
    text = " ".join(text.split()).rstrip(".")
    first = text.split(" ", 1)[0]
    # "Release process lacks…" reads better mid-sentence as "release process lacks…";
    # "PgBouncer" or "API" keep their capitals.
    if lower and first[:1].isupper() and first[1:].islower():
        text = text[0].lower() + text[1:]
    return text or None


def one_sentence_summary(record: PostmortemRecord, tz: str = "UTC") -> str:
    """Seed 002's summary sentence, leaving out the clauses whose data is missing."""
    inc, pm = record.incident, record.postmortem
    start = effective_start(record)
    lead = ""
    if start is not None:
        local = start.astimezone(ZoneInfo(tz))
        lead = f"On {local:%Y-%m-%d} at {local:%H:%M} {local.tzname()}, "
    title = _clause(inc.title)
    if inc.services:
        first = f"{lead}{_join_words(inc.services)} experienced {title or 'an incident'}"
    else:
        # Without a service the title no longer reads as a symptom, so quote it.
        first = f"{lead}we experienced " + (f"the incident “{title}”" if title else "an incident")
    impact = impact_duration(record)
    if impact is not None:
        first += f" for approximately {format_duration(impact)}"
    scope = _clause(pm.users_affected) or _clause(pm.customer_impact)
    if scope:
        first += f", affecting {scope}"
    sentences = [first[0].upper() + first[1:] + "."]
    if root := _clause(pm.root_cause, lower=True):
        sentences.append(f"The root cause was {root}.")
    mitigation = _clause(pm.mitigation, lower=True)
    fix = _clause(pm.permanent_fix, lower=True)
    if mitigation and fix:
        sentences.append(
            f"The incident was mitigated by {mitigation} and permanently fixed by {fix}."
        )
    elif mitigation:
        sentences.append(f"The incident was mitigated by {mitigation}.")
    elif fix:
        sentences.append(f"The incident was permanently fixed by {fix}.")
    return " ".join(sentences)


def _join_words(words: Sequence[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class OverdueItem:
    reference: str
    item: ActionItem
    days_overdue: int


@dataclass(frozen=True)
class TrackerMetrics:
    postmortems: int
    required: int
    completed_required: int
    completion_rate: float | None
    avg_time_to_publish: timedelta | None
    published_on_time_rate: float | None
    action_items: int
    action_items_done: int
    action_completion_rate: float | None
    overdue: list[OverdueItem]
    incidents: int
    recurring_incidents: int
    recurrence_rate: float | None

    def meets_targets(self) -> dict[str, bool | None]:
        """Each seed-001 target: met, missed, or None when there is nothing to measure."""

        def at_least(value: float | None, target: float) -> bool | None:
            return None if value is None else value >= target

        def at_most(value: float | timedelta | None, target: float | timedelta) -> bool | None:
            return None if value is None else value <= target  # type: ignore[operator]

        return {
            "completion_rate": at_least(self.completion_rate, 1.0),
            "avg_time_to_publish": at_most(self.avg_time_to_publish, timedelta(hours=48)),
            "action_completion_rate": at_least(self.action_completion_rate, 0.9),
            "recurrence_rate": at_most(self.recurrence_rate, 0.1),
        }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def tracker_metrics(records: Sequence[PostmortemRecord], now: datetime) -> TrackerMetrics:
    """Seed 001's tracker over many post-mortems, as of `now`."""
    required = [r for r in records if r.postmortem.required]
    completed = [
        r for r in required
        if r.postmortem.published_at is not None
        or r.postmortem.status in COMPLETED_PM_STATUSES
    ]
    publish_times: list[timedelta] = []
    on_time = 0
    for r in records:
        published, resolved = r.postmortem.published_at, r.incident.resolved_at
        if published is None or resolved is None:
            continue
        publish_times.append(published - resolved)
        due = r.postmortem.due_at
        on_time += due is None or published <= due
    avg = sum(publish_times, timedelta(0)) / len(publish_times) if publish_times else None

    # Won't-do items were decided against, so they count neither as done nor as missing.
    counted = [a for r in records for a in r.action_items if a.status != "wont_do"]
    done = sum(a.status == "done" for a in counted)
    today = now.date()
    overdue = [
        OverdueItem(r.incident.reference, a, (today - a.due_on).days)
        for r in records
        for a in r.action_items
        if a.status in OPEN_STATUSES and a.due_on is not None and a.due_on < today
    ]
    overdue.sort(key=lambda o: (-o.days_overdue, o.reference, o.item.number))

    recurring = _recurring(records)
    return TrackerMetrics(
        postmortems=len(records),
        required=len(required),
        completed_required=len(completed),
        completion_rate=_rate(len(completed), len(required)),
        avg_time_to_publish=avg,
        published_on_time_rate=_rate(on_time, len(publish_times)),
        action_items=len(counted),
        action_items_done=done,
        action_completion_rate=_rate(done, len(counted)),
        overdue=overdue,
        incidents=len(records),
        recurring_incidents=recurring,
        recurrence_rate=_rate(recurring, len(records)),
    )


def _recurring(records: Sequence[PostmortemRecord]) -> int:
    """Incidents on a service that had another incident in the 90 days before."""
    dated = sorted(
        ((r.incident.started_at or r.incident.created_at), r.incident.services) for r in records
    )
    last_seen: dict[str, datetime] = {}
    count = 0
    for at, services in dated:
        if any(s in last_seen and at - last_seen[s] <= RECURRENCE_WINDOW for s in services):
            count += 1
        for s in services:
            last_seen[s] = at
    return count
