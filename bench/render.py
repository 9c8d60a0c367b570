"""Render timing: a 2,000-entry / 50-action-item / 20-why post-mortem, as the bot renders it.

Prints median and p95 next to a baseline measured in the same run: a plain
`jinja2.Environment` rendering the same sections over the same rows (already in memory) with no
escaping, no sandbox and no context building. Measured:
- from database: what `postmortem-bot render` and publishing do — read the record and the
  stored names in one read transaction (SQLite file), then render the default template;
- each built-in template, rendering the record already loaded.
Runs are interleaved (baseline, then each one, then again) so a noisy neighbour slows all of
them alike. Target: from database within 1.5x the baseline at the median, p95 under 60 ms.
Nothing here asserts on time.

    .venv/bin/python bench/render.py [renders-per-template]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.document import list_templates, render_markdown
from flows.document.offline import render_stored
from flows.document.render import DEFAULT_TEMPLATE
from storage.db import (
    SessionFactory,
    make_engine,
    migrate,
    read_scope,
    session_factory,
    session_scope,
)
from storage.queries import postmortems
from storage.record import PostmortemRecord
from tests.flows.factories import NOW, PEOPLE, big_record

BASELINE = """\
# Post-Mortem: {{ inc.title }}

**Incident ID:** {{ inc.reference }}
**Severity:** SEV{{ inc.severity }}

## Summary

{{ pm.summary }}

## Timeline

| Time | Event | Actor |
|------|-------|-------|
{% for e in timeline %}
| {{ e.occurred_at.strftime("%H:%M") }} | {{ e.text }} | {{ e.actor }} |
{% endfor %}

## 5 Whys

{% for w in whys %}
{{ loop.index }}. **{{ w.question }}**
   - {{ w.answer }}
{% endfor %}

**Systemic Root Cause:** {{ pm.root_cause }}

## What Went Well

{% for x in learnings if x.kind == "went_well" %}
- {{ x.text }}
{% endfor %}

## Action Items

| # | Action | Owner | Due Date | Priority | Status | Notes |
|---|--------|-------|----------|----------|--------|-------|
{% for a in action_items %}
| AI-{{ a.number }} | {{ a.title }} | {{ a.owner_id }} | {{ a.due_on or "Backlog" }} \
| {{ a.priority }} | {{ a.status }} | {{ a.success_criteria }} |
{% endfor %}

## Sign-Off

{% for d in decisions %}
| {{ d.reviewer_id }} | {{ d.decision }} | {{ d.decided_at.date() }} | {{ d.comment }} |
{% endfor %}
"""


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def measure(renders: dict[str, Callable[[], str]], runs: int) -> dict[str, list[float]]:
    """Milliseconds per render, each callable once per round, `runs` rounds."""
    for render in renders.values():
        render()  # warm-up: template compilation is cached after the first render
    times: dict[str, list[float]] = {name: [] for name in renders}
    for _ in range(runs):
        for name, render in renders.items():
            start = time.perf_counter()
            render()
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def baseline(record: PostmortemRecord) -> Callable[[], str]:
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, autoescape=False)
    compiled = env.from_string(BASELINE)
    return lambda: compiled.render(
        inc=record.incident, pm=record.postmortem, timeline=record.timeline,
        whys=record.whys, learnings=record.learnings, action_items=record.action_items,
        decisions=record.decisions,
    )


TARGET_RATIO, TARGET_P95_MS = 1.5, 60.0


def stored(record: PostmortemRecord, workdir: Path) -> SessionFactory:
    """`record` written to a SQLite file; the sessions that read it."""
    engine = make_engine(f"sqlite:///{workdir / 'render.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with session_scope(sessions) as session:
        session.add(record.incident)
        session.add(record.postmortem)
        session.flush()
        for rows in (record.timeline, record.whys, record.factors, record.learnings,
                     record.action_items, record.decisions, record.documents, record.events,
                     record.references, record.compliance):
            session.add_all(rows)
    return sessions


def from_database(sessions: SessionFactory, pm_id: int) -> Callable[[], str]:
    def render() -> str:
        with read_scope(sessions) as session:
            record = postmortems.load_record(session, pm_id=pm_id)
            return render_stored(session, record, template=DEFAULT_TEMPLATE,
                                 tz="Europe/Berlin", now=NOW)
    return render


def main(runs: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sessions = stored(big_record(timeline=2000, actions=50, whys=20), Path(tmp))
        with read_scope(sessions) as session:
            record = postmortems.load_record(session, pm_id=1)
        print(f"render: {len(record.timeline)} timeline entries, {len(record.action_items)} "
              f"action items, {len(record.whys)} whys; {runs} renders each; target from "
              f"database <= {TARGET_RATIO}x baseline at the median, p95 < {TARGET_P95_MS:.0f} ms")
        renders: dict[str, Callable[[], str]] = {
            "(baseline)": baseline(record),
            "from database": from_database(sessions, record.id or 1),
        }
        report(record, renders, runs)


def report(record: PostmortemRecord, renders: dict[str, Callable[[], str]], runs: int) -> None:
    for name in list_templates():
        def render(name: str = name) -> str:
            return render_markdown(record, template=name, tz="Europe/Berlin", now=NOW,
                                   people=PEOPLE)
        renders[name] = render
    times = measure(renders, runs)
    sizes = {name: len(render()) for name, render in renders.items()}
    base_median, _ = percentiles(times["(baseline)"])
    print(f"  {'render':<16}{'median ms':>11}{'p95 ms':>9}{'KiB':>8}{'x baseline':>12}  target")
    for name, samples in times.items():
        median, p95 = percentiles(samples)
        met = median / base_median <= TARGET_RATIO and p95 < TARGET_P95_MS
        target = ("met" if met else "NOT met") if name == "from database" else ""
        print(f"  {name:<16}{median:>11.2f}{p95:>9.2f}{sizes[name] / 1024:>8.0f}"
              f"{median / base_median:>12.2f}  {target}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
