"""Ack latency under bursts: the bot's `serve` against a bare Bolt app, same server, same run.

    .venv/bin/python bench/ack.py            # 10k post-mortems, 1,000 requests a kind, 3 rounds
    .venv/bin/python bench/ack.py --small    # 1k post-mortems, 200 requests a kind
    .venv/bin/python bench/ack.py --db sqlite --rounds 5 --no-429
    .venv/bin/python bench/ack.py --small --baseline /tmp/main   # before/after, same run

Three processes besides this one: `postmortem-bot serve` (the product, scheduler off), the
floor (bench/floor.py: Bolt with listeners that only ack, on waitress with the same settings)
and the Slack emulator (slack_emulator/, the bot's SLACK_API_URL). Requests are signed like
Slack's and built in the emulator's process (trigger ids, response URLs); this process only
sends them, `--concurrency` at a time, and times each from send to answer.
The code under test (this checkout, and --baseline's) is byte-compiled first, as the installed
wheel is (`compile_code` in bench/ack_apps.py).

Kinds: `/postmortem help` (answered in the ack), `/postmortem list` (acked, answered through
the response URL), a Details click on a random post-mortem (acked; the modal opens after), a
timeline entry submitted on one of the viewer's post-mortems (checked and written to the inbox
before the ack; saved, its thread note and redraw sent after: bot/slack/inbox.py). For each
kind and database: p50, p99 and throughput of both apps (medians over `--rounds`), the p99
ratio, and the target: p99 within 1.5x the floor and under 100 ms. Between rounds the bot's
after-ack work is drained (the emulator goes quiet), so one round's Slack traffic does not
land in the next one's figures.

The 429 run: the emulator answers 429 to every third call of any method. Submissions are
fired as above; the acks must not wait (none over 3 s), and every thread note that could not
be sent is in the outbox: sweeps (`postmortem-bot sweep --at …`, 429s still on) deliver them,
each exactly once (counted in the emulator by the row key every post carries).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

import storage.tables  # noqa: E402  (the tables a baseline's schema replaces)
import storage.workspace_tables  # noqa: E402, F401
from bench.ack_apps import (  # noqa: E402
    cli,
    code_env,
    compile_code,
    floor_command,
    free_port,
    running,
    serve_command,
    serve_env,
)
from bench.ack_emulator import SECRET, Emulator  # noqa: E402
from bench.seed import VIEWER, bench_database, seed_workspace  # noqa: E402
from bot.slack.modals.timeline_views import incident_day_meta  # noqa: E402
from storage.tables import Incident, Postmortem  # noqa: E402

KINDS = ("help", "list", "click", "submit")
LABELS = {"help": "/postmortem help", "list": "/postmortem list", "click": "click Details",
          "submit": "submit timeline entry"}
TARGET_RATIO, TARGET_P99_MS = 1.5, 100.0


# ---- the load ------------------------------------------------------------------------------


@dataclass
class Burst:
    latencies: list[float]  # seconds, one per request
    wall: float
    statuses: Counter[int]

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall


def fire(url: str, requests: Sequence[tuple[str, bytes, dict[str, str]]],
         concurrency: int) -> Burst:
    """Send every request, `concurrency` at a time, each on a new connection as Slack does."""
    host, port = url.removeprefix("http://").split(":")
    latencies = [0.0] * len(requests)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    start_gate = threading.Barrier(concurrency + 1)

    def worker() -> None:
        start_gate.wait()
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            path, body, headers = requests[i]
            started = time.perf_counter()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
            finally:
                conn.close()
            latencies[i] = time.perf_counter() - started
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    start_gate.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return Burst(latencies, time.perf_counter() - started, statuses)


# ---- the runs ------------------------------------------------------------------------------


@dataclass
class Row:
    db: str
    code: str  # "this" or "baseline"
    kind: str
    floor: list[Burst]
    bot: list[Burst]
    drained: float

    def med(self, bursts: list[Burst], what: str) -> float:
        values = [b.p(0.5) if what == "p50" else b.p(0.99) if what == "p99" else b.throughput
                  for b in bursts]
        return statistics.median(values)

    @property
    def ratio(self) -> float:
        return self.med(self.bot, "p99") / self.med(self.floor, "p99")

    @property
    def met(self) -> bool:
        return self.ratio <= TARGET_RATIO and self.med(self.bot, "p99") < TARGET_P99_MS

    @property
    def errors(self) -> int:
        return sum(n for b in self.bot for s, n in b.statuses.items() if s != 200)


def pm_ids(engine: Engine, *, mine: bool) -> list[int]:
    """Every post-mortem, or the viewer's own unpublished ones (the viewer may edit them)."""
    sql = "SELECT id FROM postmortem"
    if mine:
        sql += " WHERE owner_id = :v AND status IN ('draft', 'in_review')"
    with engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(text(sql), {"v": VIEWER})]


def real_controls(emu: Emulator, engine: Engine, ids: Sequence[int]) -> None:
    """Control messages that exist in the emulator, so redraws and thread notes land; and
    the incident's day each entry modal carries, as the bot's own modals do."""
    for pm_id, ts in emu.ask("controls", list(ids)).items():
        with engine.begin() as conn:
            conn.execute(text("UPDATE postmortem SET message_ts = :ts WHERE id = :id"),
                         {"ts": ts, "id": pm_id})
    wanted, now = set(ids), datetime.now(UTC)
    with Session(engine) as session:
        found = session.exec(select(Postmortem.id, Incident).join(
            Incident, Incident.id == Postmortem.incident_id)).all()  # type: ignore[arg-type]
        emu.ask("days", {pm_id: incident_day_meta(incident, "UTC", now)["day"]
                         for pm_id, incident in found if pm_id in wanted})


def prepare_database(engine: Engine, root: Path, env: dict[str, str], args: argparse.Namespace,
                     emu: Emulator) -> tuple[list[int], list[int]]:
    """Schema by the code under test (a baseline may be migrations behind), then the rows."""
    if root != ROOT:
        with engine.begin() as conn:
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(text(f"DROP TABLE IF EXISTS {table.name} CASCADE"
                                  if engine.dialect.name == "postgresql"
                                  else f"DROP TABLE IF EXISTS {table.name}"))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        subprocess.run(cli("migrate"), env={**os.environ, **env, **code_env(root)},
                       cwd=root, check=True, stdout=subprocess.DEVNULL)
    seed_workspace(engine, postmortems=args.postmortems)
    everyone, mine = pm_ids(engine, mine=False), pm_ids(engine, mine=True)
    real_controls(emu, engine, mine)
    return everyone, mine


def measure_db(db: str, args: argparse.Namespace, emu: Emulator, floor_url: str,
               workdir: Path) -> list[Row]:
    rows: list[Row] = []
    codes = [("this", ROOT)] + ([("baseline", args.baseline)] if args.baseline else [])
    for code, root in codes:
        with bench_database(db, workdir, "ack") as engine:
            env = serve_env(emu, engine.url.render_as_string(False), workdir)
            started = time.monotonic()
            everyone, mine = prepare_database(engine, root, env, args, emu)
            print(f"  {db} ({code} code): {args.postmortems:,} post-mortems seeded in "
                  f"{time.monotonic() - started:.1f} s; {len(mine)} of them the submitter's",
                  flush=True)
            rnd = random.Random(11)
            with running(serve_command(free_port()), env,
                         workdir / f"serve-{db}-{code}.log", root) as bot_url:
                for kind in KINDS:  # warm-up: imports, caches, pools
                    targets = rnd.choices(mine if kind == "submit" else everyone,
                                          k=args.warmup)
                    fire(floor_url, emu.requests(kind, targets), args.concurrency)
                    fire(bot_url, emu.requests(kind, targets), args.concurrency)
                emu.quiet()
                for kind in KINDS:
                    floor, bot, drained = [], [], []
                    for _ in range(args.rounds):
                        targets = rnd.choices(mine if kind == "submit" else everyone,
                                              k=args.requests)
                        floor.append(fire(floor_url, emu.requests(kind, targets),
                                          args.concurrency))
                        bot.append(fire(bot_url, emu.requests(kind, targets),
                                        args.concurrency))
                        drained.append(emu.quiet())
                    row = Row(db, code, kind, floor, bot, statistics.median(drained))
                    rows.append(row)
                    print_row(row)
    return rows


def print_head() -> None:
    print(f"  {'db':<11}{'code':<9}{'request':<23}{'floor p50':>10}{'p99':>8}{'req/s':>7}"
          f"{'bot p50':>10}{'p99':>8}{'req/s':>7}{'p99 x':>7}{'errors':>7}{'after-ack s':>12}"
          f"  target", flush=True)


def print_row(row: Row) -> None:
    f, b = row.floor, row.bot
    print(f"  {row.db:<11}{row.code:<9}{LABELS[row.kind]:<23}{row.med(f, 'p50'):>10.1f}"
          f"{row.med(f, 'p99'):>8.1f}{row.med(f, 'rps'):>7.0f}{row.med(b, 'p50'):>10.1f}"
          f"{row.med(b, 'p99'):>8.1f}{row.med(b, 'rps'):>7.0f}{row.ratio:>7.2f}{row.errors:>7}"
          f"{row.drained:>12.1f}  {'met' if row.met else 'NOT met'}", flush=True)


def outbox_counts(engine: Engine, after_id: int) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT kind, status FROM reminder WHERE id > :after"), {"after": after_id})
        return Counter(f"{kind}:{status}" for kind, status in rows)


def rate_limited_run(db: str, args: argparse.Namespace, emu: Emulator, workdir: Path) -> None:
    """Every third Slack call answers 429: acks stay fast, the outbox delivers the rest."""
    with bench_database(db, workdir, "ack429") as engine:
        seed_workspace(engine, postmortems=args.postmortems)
        mine = pm_ids(engine, mine=True)
        real_controls(emu, engine, mine)
        with engine.connect() as conn:
            before = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM reminder")).one()[0])
        env = serve_env(emu, engine.url.render_as_string(False), workdir)
        rnd = random.Random(5)
        with running(serve_command(free_port()), env,
                     workdir / f"serve-429-{db}.log") as url:
            fire(url, emu.requests("submit", rnd.choices(mine, k=args.warmup)), args.concurrency)
            emu.quiet()
            with engine.connect() as conn:
                before = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM reminder"))
                             .one()[0])
            emu.ask("rate_limit", 3)
            burst = fire(url, emu.requests("submit", rnd.choices(mine, k=args.requests_429)),
                         args.concurrency)
            drained = emu.quiet()
        slow = sum(1 for x in burst.latencies if x > 3.0)
        print(f"  {db}: {len(burst.latencies)} submissions, 50 at a time, every 3rd Slack call "
              f"answered 429 (Retry-After 1 s)")
        print(f"    acks: p50 {burst.p(0.5):.1f} ms, p99 {burst.p(0.99):.1f} ms, max "
              f"{max(burst.latencies) * 1000:.1f} ms; over 3 s: {slow}; statuses "
              f"{dict(burst.statuses)}; after-ack work done {drained:.1f} s after the burst")
        counts = outbox_counts(engine, before)
        print(f"    outbox rows written by the burst, after its after-ack delivery: "
              f"{dict(sorted(counts.items()))}")
        # Sweeps as the scheduler would run them, each later than every retry_at so far.
        at = datetime.now(UTC)
        for sweep in range(1, 9):
            at += timedelta(hours=2)
            subprocess.run(cli("sweep", "--at", at.isoformat()),
                           env={**os.environ, **env, **code_env(ROOT)}, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            counts = outbox_counts(engine, before)
            waiting = sum(n for k, n in counts.items() if not k.endswith((":sent", ":cancelled")))
            print(f"    after sweep {sweep}: {dict(sorted(counts.items()))}", flush=True)
            if not waiting:
                break
        emu.ask("clear")
        with engine.connect() as conn:
            keys = [r[0] for r in conn.execute(text(
                "SELECT dedupe_key FROM reminder WHERE id > :a AND kind = 'message'"),
                {"a": before})]
            sent = int(conn.execute(text(
                "SELECT count(*) FROM reminder WHERE id > :a AND kind = 'message' "
                "AND status = 'sent'"), {"a": before}).one()[0])
        posts = emu.ask("posts")
        delivered = [k for k in keys if posts.get(k)]
        twice = [k for k in keys if posts.get(k, 0) > 1]
        print(f"    thread notes: expected {len(keys)}, marked sent {sent}, in Slack "
              f"{len(delivered)}, posted twice {len(twice)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true",
                        help="1k post-mortems, 200 requests per kind and round, 3 rounds")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postmortems", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None, help="per kind and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--no-429", dest="with_429", action="store_false")
    parser.add_argument("--only-429", action="store_true", help="skip the bursts, only the 429 run")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="also measure the code in DIR (e.g. `git archive main | tar -x "
                             "-C DIR`), same floor, same run: before and after")
    args = parser.parse_args(argv)
    args.postmortems = args.postmortems or (1_000 if args.small else 10_000)
    args.requests = args.requests or (200 if args.small else 1_000)
    args.requests_429 = 150 if args.small else 300
    args.warmup = 100
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for root in (ROOT, args.baseline):
        if root is not None:
            compile_code(root)
    print(f"acks: {args.concurrency} concurrent, {args.requests} requests per kind and round, "
          f"median of {args.rounds} rounds, {args.postmortems:,} post-mortems; target p99 "
          f"<= {TARGET_RATIO}x floor and < {TARGET_P99_MS:.0f} ms", flush=True)
    emu = Emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": emu.bot_token,
                   "SLACK_API_URL": emu.api_url}
            port = free_port()
            if not args.only_429:
                with running(floor_command(port), env, workdir / "floor.log") as floor_url:
                    print_head()
                    rows = [row for db in dbs
                            for row in measure_db(db, args, emu, floor_url, workdir)]
                ours = [r for r in rows if r.code == "this"]
                print(f"  targets met (this code): {sum(r.met for r in ours)} of {len(ours)}",
                      flush=True)
            if args.with_429:
                print("\nacks while Slack answers 429 to every third call:", flush=True)
                for db in dbs:
                    rate_limited_run(db, args, emu, workdir)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
