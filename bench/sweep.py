"""How long one reminder sweep takes with 1,000 reminders due, at two table sizes.

    .venv/bin/python -m bench.sweep            # 10k/100k and 100k/1M post-mortems/items
    .venv/bin/python -m bench.sweep --small    # 1k/10k and 10k/100k, a quick look
    .venv/bin/python -m bench.sweep --sizes 5000:50000 --runs 5 --db sqlite

Each database gets post-mortems, action items, one pending future reminder per post-mortem
and a weekly nudge row per owner (bulk inserts; COPY on PostgreSQL), plus `--due` reminders
that are due. One sweep is claim + mark sent with a no-op Slack; between runs the due rows are
put back to pending. The medians should barely move between sizes: a sweep's cost follows
what is due, not the size of the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from bot.deps import Deps
from bot.jobs.sweep import run_sweep
from bot.settings import Settings
from flows.policy import Policy
from storage.db import make_engine, migrate, session_factory, session_scope
from storage.queries import reminders as store
from storage.tables import ActionItem, Incident, Postmortem, Reminder

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
OWNERS = 5_000
CHUNK = 50_000
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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


def reminders(n_pms: int, due: int) -> Iterator[dict[str, Any]]:
    base = {"action_item_id": None, "status": "pending", "attempts": 0, "payload": {}}
    for i in range(1, n_pms + 1):
        yield {**base, "dedupe_key": f"pm:{i}:deadline:4h", "kind": "deadline",
               "postmortem_id": i, "target": _owner(i), "due_at": NOW + timedelta(days=1 + i % 30)}
    for o in range(OWNERS):
        yield {**base, "dedupe_key": f"nudge:{_owner(o)}:2026-W13", "kind": "nudge",
               "postmortem_id": None, "target": _owner(o), "due_at": NOW + timedelta(days=7)}
    for i in range(1, due + 1):  # draft post-mortems (i % 10 != 0) so each one is really sent
        pm = i + (i - 1) // 9
        yield {**base, "dedupe_key": f"pm:{pm}:deadline:24h", "kind": "deadline",
               "postmortem_id": pm, "target": _owner(pm),
               "due_at": NOW - timedelta(seconds=i)}


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _copy_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def bulk_insert(engine: Engine, model: Any, rows: Iterator[dict[str, Any]]) -> None:
    table = model.__table__
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            first = next(rows)
            cols = list(first)
            with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                copy.write_row([_copy_value(first[c]) for c in cols])
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in cols])
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        for chunk in _chunks(rows):
            conn.execute(insert(table), chunk)


def fill(engine: Engine, n_pms: int, n_items: int, due: int) -> None:
    bulk_insert(engine, Incident, incidents(n_pms))
    bulk_insert(engine, Postmortem, postmortems(n_pms))
    bulk_insert(engine, ActionItem, action_items(n_items, n_pms))
    bulk_insert(engine, Reminder, reminders(n_pms, due))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def reset_due(engine: Engine) -> None:
    """Put the due rows back as they were, so every run sweeps the same 1,000."""
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE reminder SET status = 'pending', sent_at = NULL, claimed_by = NULL, "
            "lease_until = NULL WHERE dedupe_key LIKE '%:deadline:24h'"
        ))


def time_sweeps(engine: Engine, runs: int, due: int) -> tuple[float, float]:
    deps = Deps(settings=Settings(announce_channel="C0ENG"), engine=engine,
                sessions=session_factory(engine), policy=Policy(), clock=lambda: NOW)
    claims, sweeps = [], []
    for _ in range(runs):
        reset_due(engine)
        started = time.perf_counter()
        with session_scope(deps.sessions) as s:
            claimed = store.claim_due_reminders(s, now=NOW, worker_id="bench",
                                                lease=timedelta(minutes=10), limit=due)
            s.rollback()  # measure the claim only; the sweep below claims for real
        claims.append(time.perf_counter() - started)
        assert len(claimed) == due, len(claimed)
        started = time.perf_counter()
        report = run_sweep(deps, NoSlack(), now=NOW, worker_id="bench",  # type: ignore[arg-type]
                           limit=due, sleep=lambda _s: None)
        sweeps.append(time.perf_counter() - started)
        assert len(report.sent) == due and not report.failed, report.lines()[0]
    return statistics.median(claims), statistics.median(sweeps)


def sqlite_engine(workdir: Path, label: str) -> Engine:
    engine = make_engine(f"sqlite:///{workdir / f'bench-{label}.db'}")
    migrate(engine)
    return engine


def pg_engine(label: str) -> tuple[Engine, str]:
    name = f"bench_{label}_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(False))
    migrate(engine)
    return engine, name


def drop_pg(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="1k/10k and 10k/100k")
    parser.add_argument("--sizes", nargs="+", metavar="PMS:ITEMS",
                        help="table sizes, e.g. 10000:100000 100000:1000000")
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes]
    elif args.small:
        sizes = [(2_000, 20_000), (20_000, 200_000)]
    else:
        sizes = [(10_000, 100_000), (100_000, 1_000_000)]
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"{'db':<11}{'post-mortems':>13}{'items':>11}{'reminders':>11}{'due':>6}"
          f"{'fill s':>9}{'claim ms':>10}{'sweep ms':>10}{'per due ms':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for db in dbs:
            for n_pms, n_items in sizes:
                label = f"{n_pms}"
                pg_name = None
                if db == "sqlite":
                    engine = sqlite_engine(Path(tmp), label)
                else:
                    engine, pg_name = pg_engine(label)
                try:
                    started = time.perf_counter()
                    fill(engine, n_pms, n_items, args.due)
                    filled = time.perf_counter() - started
                    claim, sweep = time_sweeps(engine, args.runs, args.due)
                finally:
                    engine.dispose()
                    if pg_name:
                        drop_pg(pg_name)
                total = n_pms + OWNERS + args.due
                print(f"{db:<11}{n_pms:>13,}{n_items:>11,}{total:>11,}{args.due:>6}"
                      f"{filled:>9.1f}{claim * 1000:>10.1f}{sweep * 1000:>10.0f}"
                      f"{sweep * 1000 / args.due:>11.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
