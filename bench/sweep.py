"""How long a reminder sweep takes per row sent, at two sizes of the reminder table, against
a floor measured in the same run.

    .venv/bin/python bench/sweep.py            # 10k and 1M reminder rows, 1,000 due, both dbs
    .venv/bin/python bench/sweep.py --small    # 10k and 100k reminder rows
    .venv/bin/python bench/sweep.py --sizes 10000 300000 --runs 5 --db sqlite

Each database gets 10,000 post-mortems with their incidents and three action items each, and
`reminder` filled to the size asked: a pending future deadline per post-mortem, weekly nudges,
more future rows, and `--due` deadline reminders that are due now (bulk inserts; COPY on
PostgreSQL). Sizes count reminder rows, the table a sweep reads.

Timed, as medians of `--runs` after one warm-up run, the due rows put back to pending before
each run:
- sweep: `run_sweep` with a Slack that answers at once: claim, plan each row, send, settle;
- floor: the least any sweep must do, in plain SQL: one statement claiming the due rows, then
  one UPDATE per row in a transaction of its own.
Target: per row within 1.5x the floor, and flat from the small table to the large one (a
sweep's cost follows what is due, not the size of the table).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed import bench_database, bulk_insert
from bot.deps import Deps
from bot.jobs.sweep import run_sweep
from bot.settings import Settings
from flows.policy import Policy
from storage.db import session_factory
from storage.tables import ActionItem, Incident, Postmortem, Reminder

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
OWNERS = 5_000
POSTMORTEMS = 10_000
TARGET_RATIO = 1.5


class NoSlack:
    """Accepts every post instantly: the bench measures the database side of a sweep."""

    def chat_postMessage(self, **_: Any) -> dict[str, Any]:
        return {"ok": True}

    def chat_getPermalink(self, **_: Any) -> dict[str, Any]:
        return {"ok": True, "permalink": "https://example.slack.com/x"}


def _owner(i: int) -> str:
    return f"U{i % OWNERS:07d}"


def incidents(n: int) -> Iterator[dict[str, Any]]:
    for i in range(1, n + 1):
        yield {"id": i, "reference": f"INC-{i:07d}", "title": f"Incident {i}", "severity": i % 4,
               "services": [], "source": "slack", "created_at": NOW}


def postmortems(n: int) -> Iterator[dict[str, Any]]:
    for i in range(1, n + 1):
        yield {"id": i, "incident_id": i, "status": "draft" if i % 10 else "published",
               "required": True, "owner_id": _owner(i), "reviewers": [], "attendees": [],
               "due_at": NOW + timedelta(days=2 + i % 30), "created_at": NOW,
               "updated_at": NOW, "version": 0}


def action_items(n_items: int, n_pms: int) -> Iterator[dict[str, Any]]:
    per_pm = max(n_items // n_pms, 1)
    for i in range(n_items):
        yield {"id": i + 1, "postmortem_id": i // per_pm % n_pms + 1, "number": i % per_pm + 1,
               "title": f"Action {i}", "owner_id": _owner(i * 7), "priority": "P2",
               "category": "Prevention", "status": "open" if i % 3 else "done",
               "due_on": date(2026, 3, 1) + timedelta(days=i % 120), "created_at": NOW,
               "updated_at": NOW}


def reminders(n_pms: int, rows: int, due: int) -> Iterator[dict[str, Any]]:
    """`rows` reminder rows in all: `due` of them due now, on draft post-mortems (so each one
    is really sent), the rest pending in the future."""
    base = {"action_item_id": None, "status": "pending", "attempts": 0, "payload": {}}
    future = rows - due
    deadlines = min(n_pms, future)
    nudges = min(OWNERS, future - deadlines)
    for i in range(1, deadlines + 1):
        yield {**base, "dedupe_key": f"pm:{i}:deadline:4h", "kind": "deadline",
               "postmortem_id": i, "target": _owner(i), "due_at": NOW + timedelta(days=1 + i % 30)}
    for o in range(nudges):
        yield {**base, "dedupe_key": f"nudge:{_owner(o)}:2026-W13", "kind": "nudge",
               "postmortem_id": None, "target": _owner(o), "due_at": NOW + timedelta(days=7)}
    for k in range(future - deadlines - nudges):
        pm = k % n_pms + 1
        yield {**base, "dedupe_key": f"pm:{pm}:follow_up:{k}", "kind": "follow_up",
               "postmortem_id": pm, "target": _owner(pm),
               "due_at": NOW + timedelta(days=30 + k % 300, seconds=k)}
    for i in range(1, due + 1):
        pm = i + (i - 1) // 9
        yield {**base, "dedupe_key": f"pm:{pm}:deadline:24h", "kind": "deadline",
               "postmortem_id": pm, "target": _owner(pm),
               "due_at": NOW - timedelta(seconds=i)}


def fill(engine: Engine, rows: int, due: int) -> None:
    bulk_insert(engine, Incident, incidents(POSTMORTEMS))
    bulk_insert(engine, Postmortem, postmortems(POSTMORTEMS))
    bulk_insert(engine, ActionItem, action_items(3 * POSTMORTEMS, POSTMORTEMS))
    bulk_insert(engine, Reminder, reminders(POSTMORTEMS, rows, due))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def reset_due(engine: Engine) -> None:
    """Put the due rows back as they were, so every run sweeps the same 1,000."""
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE reminder SET status = 'pending', sent_at = NULL, claimed_by = NULL, "
            "lease_until = NULL WHERE dedupe_key LIKE '%:deadline:24h'"
        ))


def floor_sweep(engine: Engine, due: int) -> None:
    """The least a sweep must do: claim the due rows in one statement, then one UPDATE per
    row, each in its own transaction (plain SQL: nothing planned, nothing sent)."""
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text(
            "UPDATE reminder SET status = 'claimed', claimed_by = 'floor', lease_until = :lease "
            "WHERE id IN (SELECT id FROM reminder WHERE status = 'pending' AND due_at <= :now "
            "ORDER BY due_at LIMIT :n) RETURNING id"),
            {"now": NOW, "lease": NOW + timedelta(minutes=10), "n": due})]
    assert len(ids) == due, len(ids)
    for reminder_id in ids:
        with engine.begin() as conn:
            conn.execute(text(
                "UPDATE reminder SET status = 'sent', sent_at = :now, lease_until = NULL "
                "WHERE id = :id AND claimed_by = 'floor'"), {"now": NOW, "id": reminder_id})


def real_sweep(deps: Deps, due: int) -> None:
    report = run_sweep(deps, NoSlack(), now=NOW, worker_id="bench",  # type: ignore[arg-type]
                       limit=due, sleep=lambda _s: None)
    assert len(report.sent) == due and not report.failed, report.lines()[0]


def time_sweeps(engine: Engine, runs: int, due: int) -> tuple[float, float]:
    """Median seconds of the floor and of the sweep, after one warm-up run of each."""
    deps = Deps(settings=Settings(announce_channel="C0ENG"), engine=engine,
                sessions=session_factory(engine), policy=Policy(), clock=lambda: NOW)
    floors, sweeps = [], []
    for run in range(runs + 1):
        reset_due(engine)
        started = time.perf_counter()
        floor_sweep(engine, due)
        floor = time.perf_counter() - started
        reset_due(engine)
        started = time.perf_counter()
        real_sweep(deps, due)
        sweep = time.perf_counter() - started
        if run:  # the first run warms the pool, the caches and the query plans
            floors.append(floor)
            sweeps.append(sweep)
    return statistics.median(floors), statistics.median(sweeps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="10k and 100k reminder rows")
    parser.add_argument("--sizes", nargs="+", type=int, metavar="ROWS",
                        help="reminder table sizes, e.g. 10000 1000000")
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.small else [10_000, 1_000_000])
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"sweep: {args.due:,} due rows, median of {args.runs} runs after a warm-up; target "
          f"per row <= {TARGET_RATIO}x the floor, flat across sizes")
    print(f"  {'db':<11}{'reminders':>11}{'fill s':>8}{'floor ms':>10}{'sweep ms':>10}"
          f"{'floor/row':>10}{'sweep/row':>10}{'x floor':>9}  target")
    per_row: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for db in dbs:
            for rows in sizes:
                with bench_database(db, Path(tmp), f"sweep{rows}") as engine:
                    started = time.perf_counter()
                    fill(engine, rows, args.due)
                    filled = time.perf_counter() - started
                    floor, sweep = time_sweeps(engine, args.runs, args.due)
                ratio = sweep / floor
                per_row.setdefault(db, []).append(sweep / args.due)
                print(f"  {db:<11}{rows:>11,}{filled:>8.1f}{floor * 1000:>10.0f}"
                      f"{sweep * 1000:>10.0f}{floor * 1000 / args.due:>10.2f}"
                      f"{sweep * 1000 / args.due:>10.2f}{ratio:>9.2f}  "
                      f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}", flush=True)
    for db, costs in per_row.items():
        growth = costs[-1] / costs[0]
        print(f"  {db}: per-row cost at {sizes[-1]:,} rows is {growth:.2f}x that at "
              f"{sizes[0]:,} (flat: within 1.5x) — {'met' if growth <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
