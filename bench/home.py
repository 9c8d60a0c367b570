"""How long the App Home and the program metrics take on a large workspace.

    .venv/bin/python bench/home.py                 # 10k post-mortems / 100k items, both dbs
    .venv/bin/python bench/home.py --db sqlite --runs 9 --sizes 20000:200000

Each database gets the workspace of bench/tracker_data.py (bulk inserts). Measured, as medians
of `--runs` after one warm-up:
- home: the server's part of publishing a Home as the viewer opening it (read everything it
  shows, build the view, serialise it, hand it to a Slack client that answers at once);
- metrics: `tracker_metrics` over all time and over the last 90 days.
Each is printed beside a baseline measured in the same run: the bare SELECT of the tracker's
first page (home) and a bare COUNT(*) of the action items (metrics), so the ratio says what the
bot adds on top of the database's own floor. Targets: home 300 ms, metrics 500 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed import bench_database
from bench.tracker_data import NOW, VIEWER, fill
from bot.slack.home.build import home_view, publish
from flows.metrics import tracker_metrics
from storage.db import session_factory, session_scope

TEAM = "T0001"
TARGETS = {"home": 300.0, "metrics": 500.0}
PAGE = (
    "SELECT postmortem.id, incident.reference FROM postmortem JOIN incident "
    "ON incident.id = postmortem.incident_id WHERE postmortem.team_id = :team "
    "ORDER BY coalesce(incident.started_at, incident.created_at) DESC LIMIT 20"
)


class NoSlack:
    """Answers views.publish at once: the bench measures the bot's side."""

    def views_publish(self, **kwargs: Any) -> dict[str, Any]:
        json.dumps(kwargs["view"])  # what the real client does with it first
        return {"ok": True}


def timed(runs: int, work: Callable[[], Any]) -> float:
    work()  # warm-up: connections, statement caches, imports
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure(engine: Engine, runs: int) -> dict[str, float]:
    sessions = session_factory(engine)
    client: Any = NoSlack()

    def open_home() -> None:
        with session_scope(sessions) as session:
            view = home_view(session, team_id=TEAM, user_id=VIEWER, now=NOW)
        publish(client, VIEWER, view)

    def bare_page() -> None:
        with engine.connect() as conn:
            conn.execute(text(PAGE), {"team": TEAM}).all()

    def metrics(since: Any) -> Callable[[], None]:
        def run() -> None:
            with session_scope(sessions) as session:
                tracker_metrics(session, team_id=TEAM, now=NOW, since=since)
        return run

    def bare_count() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM action_item")).one()

    return {
        "home": timed(runs, open_home),
        "home baseline": timed(runs, bare_page),
        "metrics": timed(runs, metrics(None)),
        "metrics 90d": timed(runs, metrics(NOW - timedelta(days=90))),
        "metrics baseline": timed(runs, bare_count),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["10000:100000"], metavar="PMS:ITEMS")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes]
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"{'db':<11}{'post-mortems':>13}{'items':>10}  {'measure':<12}{'median ms':>10}"
          f"{'baseline ms':>12}{'ratio':>8}{'target ms':>10}  ok")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for db in dbs:
            for n_pms, n_items in sizes:
                with bench_database(db, Path(tmp), f"home{n_pms}") as engine:
                    fill(engine, postmortems=n_pms, items=n_items, team=TEAM)
                    got = measure(engine, args.runs)
                for name, base, target in (
                    ("home", "home baseline", TARGETS["home"]),
                    ("metrics", "metrics baseline", TARGETS["metrics"]),
                    ("metrics 90d", "metrics baseline", TARGETS["metrics"]),
                ):
                    ok = got[name] <= target
                    failed |= not ok
                    print(f"{db:<11}{n_pms:>13,}{n_items:>10,}  {name:<12}{got[name]:>10.1f}"
                          f"{got[base]:>12.2f}{got[name] / max(got[base], 1e-6):>8.1f}"
                          f"{target:>10.0f}  {'yes' if ok else 'NO'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
