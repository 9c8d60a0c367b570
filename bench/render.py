"""Render timing: each built-in template on a 2,000-entry / 50-item / 20-why record.

Prints median and p95 per render next to a baseline measured in the same run: a plain
`jinja2.Environment` rendering the same sections over the same rows with no escaping, no
sandbox and no context building. Runs are interleaved (baseline, then each template, then
again) so a noisy neighbour slows all of them alike. Nothing here asserts on time.

    .venv/bin/python bench/render.py [renders-per-template]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.document import list_templates, render_markdown
from storage.db import make_engine, migrate, session_factory, session_scope
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


def loaded_record(record: PostmortemRecord) -> PostmortemRecord:
    """`record` stored in a SQLite database and read back the way the bot reads it."""
    engine = make_engine("sqlite://")
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
    with session_scope(sessions) as session:
        return postmortems.load_record(session, pm_id=record.id)


def main(runs: int = 50) -> None:
    record = loaded_record(big_record(timeline=2000, actions=50, whys=20))
    print(f"record: {len(record.timeline)} timeline entries, {len(record.action_items)} "
          f"action items, {len(record.whys)} whys; {runs} renders per template\n")
    renders: dict[str, Callable[[], str]] = {"(baseline)": baseline(record)}
    for name in list_templates():
        def render(name: str = name) -> str:
            return render_markdown(record, template=name, tz="Europe/Berlin", now=NOW,
                                   people=PEOPLE)
        renders[name] = render
    times = measure(renders, runs)
    sizes = {name: len(render()) for name, render in renders.items()}
    base_median, _ = percentiles(times["(baseline)"])
    print(f"{'template':<16}{'median ms':>11}{'p95 ms':>9}{'KiB':>8}{'x baseline':>12}")
    for name, samples in times.items():
        median, p95 = percentiles(samples)
        print(f"{name:<16}{median:>11.2f}{p95:>9.2f}{sizes[name] / 1024:>8.0f}"
              f"{median / base_median:>12.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
