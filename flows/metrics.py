"""Facts computed from post-mortems: incident durations, error budget, tracker health.

Seed 001 ("Tracking & Metrics") sets the tracker targets; the per-incident durations and
their definitions live in flows.durations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.durations import Durations, format_duration, impact_window, incident_durations
from flows.summary import draft_summary
from storage.record import PostmortemRecord
from storage.tables import ActionItem

__all__ = ["format_duration"]

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
    """The milestones and durations (flows.durations defines each) plus action-item counts."""

    started_at: datetime | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    identified_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    impact: timedelta | None
    time_to_detect: timedelta | None
    time_to_acknowledge: timedelta | None
    time_to_diagnose: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None
    error_budget: ErrorBudget | None
    actions_by_priority: dict[str, int] = field(default_factory=dict)
    actions_by_status: dict[str, int] = field(default_factory=dict)


def effective_start(record: PostmortemRecord) -> datetime | None:
    """When the incident started: as entered, else a marked entry, else the first entry."""
    return incident_durations(record).milestones.get("started")


def impact_duration(record: PostmortemRecord) -> timedelta | None:
    """The impact window (flows.durations): entered minutes, else first symptom to mitigation."""
    return impact_window(record)


def error_budget(record: PostmortemRecord) -> ErrorBudget | None:
    """Share of a 30-day error budget the impact used; None when no SLO was given."""
    return error_budget_for(record, impact_duration(record))


def error_budget_for(record: PostmortemRecord, impact: timedelta | None) -> ErrorBudget | None:
    """`error_budget` with the impact window the caller already computed."""
    pm = record.postmortem
    if pm.slo_target is None or not 0 < pm.slo_target < 100:
        if pm.error_budget_used:
            return ErrorBudget(pm.slo_target or 0.0, timedelta(0), None, pm.error_budget_used)
        return None
    budget = SLO_WINDOW * (1 - pm.slo_target / 100)
    used = None if impact is None else impact / budget * 100
    return ErrorBudget(pm.slo_target, budget, used, pm.error_budget_used or None)


def count_actions(items: Iterable[ActionItem]) -> tuple[dict[str, int], dict[str, int]]:
    """Action items counted by priority and by status, every known key present."""
    items = list(items)
    by_priority = dict.fromkeys(PRIORITIES, 0) | Counter(a.priority for a in items)
    by_status = dict.fromkeys(ACTION_STATUSES, 0) | Counter(a.status for a in items)
    return by_priority, by_status


def incident_metrics(record: PostmortemRecord) -> IncidentMetrics:
    d = incident_durations(record)
    return metrics_from(record, d, error_budget_for(record, d.impact.value))


def metrics_from(
    record: PostmortemRecord, d: Durations, budget: ErrorBudget | None
) -> IncidentMetrics:
    """`incident_metrics` from durations and budget the caller already computed."""
    times = d.milestones
    by_priority, by_status = count_actions(record.action_items)
    return IncidentMetrics(
        started_at=times.get("started"),
        detected_at=times.get("detected"),
        acknowledged_at=times.get("acknowledged"),
        identified_at=times.get("root_cause_identified"),
        mitigated_at=times.get("mitigated"),
        resolved_at=times.get("resolved"),
        impact=d.impact.value,
        time_to_detect=d.detect.value,
        time_to_acknowledge=d.acknowledge.value,
        time_to_diagnose=d.diagnose.value,
        time_to_mitigate=d.mitigate.value,
        time_to_resolve=d.resolve.value,
        error_budget=budget,
        actions_by_priority=by_priority,
        actions_by_status=by_status,
    )


def one_sentence_summary(record: PostmortemRecord, tz: str = "UTC") -> str:
    """The draft summary (flows.summary): correct English whatever is missing."""
    return draft_summary(record, tz).text


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
