"""The program report and `/postmortem metrics` as text: seed 001's numbers against their
targets, and the median times by severity. Bot words only (no user text)."""

from __future__ import annotations

from datetime import timedelta

from flows.durations import format_duration
from flows.metrics import TARGETS, TrackerMetrics
from flows.program_report import ProgramReport, month_start

MARK = {True: ":white_check_mark:", False: ":x:", None: "–"}


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def _hours(value: timedelta | None) -> str:
    return format_duration(value) or "–"


def metric_lines(m: TrackerMetrics) -> list[str]:
    """One line per number, its target and whether it is met."""
    met = m.meets_targets()
    return [
        f"{MARK[met['completion_rate']]} *Required post-mortems completed:* "
        f"{m.completed_required}/{m.required} ({_pct(m.completion_rate)}; target "
        f"{TARGETS['completion_rate']:.0%})",
        f"{MARK[met['publish_median']]} *Resolution → published:* median "
        f"{_hours(m.publish_median)}, p90 {_hours(m.publish_p90)} over {m.published} "
        f"(deadline {format_duration(m.deadline)}; {_pct(m.published_on_time_rate)} on time)",
        f"{MARK[met['action_completion_rate']]} *Action items done:* {m.action_items_done}/"
        f"{m.action_items} ({_pct(m.action_completion_rate)}; target over "
        f"{TARGETS['action_completion_rate']:.0%}), {m.overdue_items} overdue, "
        f"{m.action_items_wont_do} won't do",
        f"{MARK[met['recurrence_rate']]} *Recurrence:* {m.recurring_incidents}/{m.incidents} "
        f"incidents ({_pct(m.recurrence_rate)}; target under {TARGETS['recurrence_rate']:.0%})",
    ]


def duration_lines(m: TrackerMetrics, limit: int = 24) -> list[str]:
    """Median time to detect / acknowledge / resolve, per month and severity."""
    if not m.durations:
        return []
    lines = ["*Median times* (detect · acknowledge · resolve, as defined in the documents)"]
    for d in m.durations[-limit:]:
        lines.append(f"• {d.month} SEV{d.severity} ({d.incidents}): {_hours(d.detect)} · "
                     f"{_hours(d.acknowledge)} · {_hours(d.resolve)}")
    if len(m.durations) > limit:
        lines.append(f"…and {len(m.durations) - limit} earlier months.")
    return lines


def metrics_text(m: TrackerMetrics, heading: str) -> str:
    body = [heading, *metric_lines(m)]
    durations = duration_lines(m)
    if durations:
        body += ["", *durations]
    return "\n".join(body)


def report_table(report: ProgramReport) -> str:
    """The message beside the chart: the month's numbers, then the trend month by month."""
    name = f"{month_start(report.month):%B %Y}"
    text = metrics_text(report.metrics, f":bar_chart: *Post-mortem program — {name}* "
                                        f"({report.metrics.incidents} incidents)")
    rows = ["month    incidents  completed  publish p50  items done  recurrence"]
    for month, m in report.trend:
        rows.append(f"{month}  {m.incidents:>9}  {_pct(m.completion_rate):>9}  "
                    f"{_hours(m.publish_median):>11}  {_pct(m.action_completion_rate):>10}  "
                    f"{_pct(m.recurrence_rate):>10}")
    return text + "\n\n*Trend*\n```" + "\n".join(rows) + "```"
