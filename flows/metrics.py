"""Facts computed from post-mortems: incident durations, error budget, tracker health.

Seed 001 ("Tracking & Metrics") sets the tracker targets; the per-incident durations and
their definitions live in flows.durations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from flows.durations import (
    DEFINITIONS,
    Durations,
    format_duration,
    impact_window,
    incident_durations,
)
from flows.milestones import INCIDENT_FIELDS
from flows.summary import draft_summary
from storage.queries.metrics import (
    ItemTotals,
    MilestoneTable,
    PostmortemTotals,
    Window,
    item_totals,
    milestone_seconds,
    postmortem_totals,
    publish_delays,
    recurring_incident_ids,
    unnamed_recurrences,
)
from storage.record import ActionItemData, PostmortemRecord

__all__ = ["format_duration"]

PRIORITIES = ("P0", "P1", "P2", "P3")
ACTION_STATUSES = ("open", "in_progress", "done", "wont_do")
COMPLETED_PM_STATUSES = frozenset({"published", "closed"})
SLO_WINDOW = timedelta(days=30)

# Seed 001: completion 100 % (P0), publish < 48 h, action items > 90 %, recurrence < 10 %.
TARGETS = {"completion_rate": 1.0, "action_completion_rate": 0.9, "recurrence_rate": 0.1}
PUBLISH_DEADLINE = timedelta(hours=48)
# The trend's durations and the milestones they are measured between (flows.durations).
TREND_DURATIONS = ("detect", "acknowledge", "resolve")
TREND_FIELDS = {
    kind: INCIDENT_FIELDS[kind]
    for key, _label, start, end in DEFINITIONS if key in TREND_DURATIONS
    for kind in (start, end)
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


def count_actions(items: Iterable[ActionItemData]) -> tuple[dict[str, int], dict[str, int]]:
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


# ---- the program: seed 001's tracker numbers over many post-mortems -----------------------


@dataclass(frozen=True)
class DurationTrend:
    """Median times of one month's incidents of one severity (flows.durations definitions)."""

    month: str  # "2026-11", by the incident's date
    severity: int
    incidents: int
    detect: timedelta | None
    acknowledge: timedelta | None
    resolve: timedelta | None


@dataclass(frozen=True)
class TrackerMetrics:
    postmortems: int
    required: int
    completed_required: int
    completion_rate: float | None
    # Resolution → publication, over the post-mortems published so far.
    published: int
    publish_median: timedelta | None
    publish_p90: timedelta | None
    published_on_time_rate: float | None
    deadline: timedelta
    # Won't-do items were decided against: they count neither as done nor as missing.
    action_items: int
    action_items_done: int
    action_items_wont_do: int
    overdue_items: int
    action_completion_rate: float | None
    incidents: int
    recurring_incidents: int
    recurrence_rate: float | None
    durations: list[DurationTrend] = field(default_factory=list)

    def meets_targets(self) -> dict[str, bool | None]:
        """Each seed-001 target: met, missed, or None when there is nothing to measure."""

        def at_least(value: float | None, target: float) -> bool | None:
            return None if value is None else value >= target

        def under(value: float | None, target: float) -> bool | None:
            return None if value is None else value < target

        return {
            "completion_rate": at_least(self.completion_rate, TARGETS["completion_rate"]),
            "publish_median": None if self.publish_median is None
            else self.publish_median <= self.deadline,
            "action_completion_rate": None if self.action_completion_rate is None
            else self.action_completion_rate > TARGETS["action_completion_rate"],
            "recurrence_rate": under(self.recurrence_rate, TARGETS["recurrence_rate"]),
        }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value; the mean of the two middle ones for an even count."""
    if not values:
        return None
    ordered, mid = sorted(values), len(values) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[timedelta], share: float) -> timedelta | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def tracker_metrics(
    session: Session, *, team_id: str | None, now: datetime, since: datetime | None = None,
    until: datetime | None = None, teams: Sequence[str] = (),
    deadline: timedelta = PUBLISH_DEADLINE,
) -> TrackerMetrics:
    """Seed 001's numbers for the workspace's incidents dated in [since, until), as of `now`.

    Counts are SQL aggregates and times come back as seconds; only the medians are taken
    here (they are not portable SQL). Recurrence is whatever
    `storage.queries.metrics.recurring_incident_ids` and `unnamed_recurrences` say it is."""
    window = Window(team_id, since, until, tuple(teams))
    totals = postmortem_totals(session, window=window)
    if not totals.postmortems:
        return compute_metrics(totals, [], ItemTotals(0, 0, 0, 0), MilestoneTable((), []), 0,
                               deadline=deadline)
    recurring = len(recurring_incident_ids(session, team_id=team_id, since=since, until=until,
                                           teams=teams)) + unnamed_recurrences(
        session, team_id=team_id, since=since, until=until, teams=teams)
    return compute_metrics(
        totals, publish_delays(session, window=window),
        item_totals(session, window=window, today=now.date()),
        milestone_seconds(session, window=window, fields=TREND_FIELDS),
        recurring, deadline=deadline,
    )


def compute_metrics(
    totals: PostmortemTotals, delays: Sequence[tuple[float, bool]], items: ItemTotals,
    milestones: MilestoneTable, recurring: int, *, deadline: timedelta,
) -> TrackerMetrics:
    publish_times = [timedelta(seconds=round(delay)) for delay, _ in delays]
    on_time = sum(ok for _, ok in delays)
    counted = items.total - items.wont_do
    return TrackerMetrics(
        postmortems=totals.postmortems,
        required=totals.required,
        completed_required=totals.completed_required,
        completion_rate=_rate(totals.completed_required, totals.required),
        published=len(publish_times),
        publish_median=median(publish_times),
        publish_p90=percentile(publish_times, 0.9),
        published_on_time_rate=_rate(on_time, len(publish_times)),
        deadline=deadline,
        action_items=counted,
        action_items_done=items.done,
        action_items_wont_do=items.wont_do,
        overdue_items=items.overdue,
        action_completion_rate=_rate(items.done, counted),
        incidents=totals.postmortems,
        recurring_incidents=recurring,
        recurrence_rate=_rate(recurring, totals.postmortems),
        durations=duration_trends(milestones),
    )




def duration_trends(table: MilestoneTable) -> list[DurationTrend]:
    """Median time to detect, acknowledge and resolve by month and severity, each measured
    between the milestones flows.durations defines it by (a negative span is a typo: none)."""
    if not table.rows:
        return []
    spans = [(table.column(start), table.column(end))
             for key, _label, start, end in DEFINITIONS if key in TREND_DURATIONS]
    groups: dict[tuple[str, int], list[list[timedelta]]] = {}
    counts: Counter[tuple[str, int]] = Counter()
    for severity, month_, at in table.rows:
        key = (month_, severity)
        counts[key] += 1
        lists = groups.setdefault(key, [[] for _ in spans])
        for values, (a, b) in zip(lists, spans, strict=True):
            start, end = at[a], at[b]
            if start is not None and end is not None and end >= start:
                values.append(timedelta(seconds=round(end - start)))
    return [
        DurationTrend(month_, severity, counts[(month_, severity)],
                      *(median(values) for values in groups[(month_, severity)]))
        for month_, severity in sorted(groups)
    ]
