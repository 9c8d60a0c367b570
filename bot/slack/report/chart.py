"""The program report's chart: four trends against their targets, as PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Callable

from flows.metrics import TARGETS, TrackerMetrics
from flows.program_report import ProgramReport

Value = Callable[[TrackerMetrics], float | None]


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _hours(m: TrackerMetrics) -> float | None:
    return None if m.publish_median is None else m.publish_median.total_seconds() / 3600


PANELS: tuple[tuple[str, Value, float, str], ...] = (
    ("Required post-mortems completed (%)", lambda m: _percent(m.completion_rate),
     TARGETS["completion_rate"] * 100, "at least"),
    ("Resolution → published, median (h)", _hours, 48.0, "at most"),
    ("Action items done (%)", lambda m: _percent(m.action_completion_rate),
     TARGETS["action_completion_rate"] * 100, "over"),
    ("Recurrence (%)", lambda m: _percent(m.recurrence_rate),
     TARGETS["recurrence_rate"] * 100, "under"),
)


def render_chart(report: ProgramReport) -> bytes:
    # Imported here, not at the top: only the report job needs matplotlib, and it takes a
    # second to import. A bare Figure draws to memory: no pyplot state, no display, threads.
    from matplotlib.figure import Figure

    months = [month for month, _ in report.trend]
    deadline_hours = report.metrics.deadline.total_seconds() / 3600
    fig = Figure(figsize=(10, 6.5), dpi=100)
    axes = fig.subplots(2, 2)
    for ax, (title, value, target, word) in zip(axes.flat, PANELS, strict=True):
        if title.startswith("Resolution"):
            target = deadline_hours
        points = [(i, v) for i, (_, m) in enumerate(report.trend)
                  if (v := value(m)) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", color="#1264a3")
        ax.axhline(target, color="#e01e5a", linestyle="--", linewidth=1,
                   label=f"target: {word} {target:g}")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(len(months)), months, fontsize=8)
        ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
    fig.suptitle(f"Post-mortem program, {months[0]} to {months[-1]}")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
