"""Startup and memory: `postmortem-bot serve` against the bare Bolt app of bench/floor.py.

    .venv/bin/python bench/startup.py            # 5 starts each, 10,000 requests for growth
    .venv/bin/python bench/startup.py --small    # 3 starts each, 2,000 requests
    .venv/bin/python bench/startup.py --baseline /tmp/main   # before/after, same run

- startup: from spawning the process to the first 200 from /healthz (the bot migrates an
  up-to-date SQLite database on the way, as in production); median of `--starts`;
- idle RSS: the resident memory of the healthy process before any Slack request;
- growth: RSS after `--requests` signed requests (slash commands and Details clicks, 20 at a
  time, on a 1,000 post-mortem workspace, after-ack work drained) minus RSS after a warm-up
  of 500 of them; and, beside it, the growth after the first 2,000, whose bursts (and the
  after-ack work queued behind them) are the size of the rest, unlike the warm-up's.
The code under test is byte-compiled first (`compile_code` in bench/ack_apps.py), as the wheel
the Dockerfile installs is: an editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile
every module of the bot from source at each start, which no deployed bot does (the floor's
imports, all in site-packages, were compiled by pip). With `--baseline DIR` (another checkout,
e.g. `git archive main | tar -x -C DIR`) its starts alternate with this code's and the floor's,
and its growth is measured after this code's, on the same database.
Targets: startup within 2x the floor; idle RSS under 100 MB; no growth (we print it, and
call under 5 MB "none": allocator noise).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ack import fire, pm_ids
from bench.ack_apps import (
    PIDS,
    ROOT,
    cli,
    code_env,
    compile_code,
    floor_command,
    free_port,
    running,
    serve_command,
    serve_env,
    wait_healthy,
)
from bench.ack_emulator import Emulator
from bench.seed import bench_database, seed_workspace

TARGET_STARTUP_RATIO, TARGET_RSS_MB, NOISE_MB = 2.0, 100.0, 5.0
# Requests of the warm-up, and between two RSS readings; a third of each step is one kind.
WARM_UP, STEP = 500, 2_000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start_once(command: list[str], env: dict[str, str],
               root: Path = ROOT) -> tuple[float, float]:
    """Seconds to healthy and the idle RSS (MB) of one fresh process."""
    port = free_port()
    command = [*command[:-1], str(port)]
    started = time.monotonic()
    process = subprocess.Popen(command, env={**env, **code_env(root)}, cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        took = time.monotonic() - started
        time.sleep(0.5)  # let the scheduler and the pools settle
        return took, rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=25)


def print_warmed_growth(seen: list[float], requests: int) -> None:
    """Growth from the end of the first step on. The warm-up's bursts are a quarter of a
    step's (166 requests of a kind, not 666), and the after-ack work queued during a burst
    grows with it: the first step's larger queue raises the allocators' high-water mark once,
    which the figure above counts as growth. This one starts after a burst of that size."""
    if len(seen) < 3:
        print(f"  RSS after the first {STEP:,} (a warm-up at the steps' burst size): "
              "needs more than one step (run without --small)", flush=True)
        return
    growth = seen[-1] - seen[1]
    print(f"  RSS over the {requests - STEP:,} requests after the first {STEP:,} (a warm-up "
          f"at the steps' burst size): {seen[1]:.1f} -> {seen[-1]:.1f} MB ({growth:+.1f} MB)  "
          f"{'met' if growth < NOISE_MB else 'NOT met'}", flush=True)


def print_startup(starts: int, runs: dict[str, list[tuple[float, float]]]) -> None:
    floor = runs.pop("floor")
    floor_s = statistics.median(t for t, _ in floor)
    floor_mb = statistics.median(m for _, m in floor)
    print(f"startup: median of {starts} starts, alternating; targets: to healthy within "
          f"{TARGET_STARTUP_RATIO}x the floor, idle RSS < {TARGET_RSS_MB:.0f} MB")
    print(f"  {'':<22}{'floor':>10}" + "".join(f"{code:>10}{'x floor':>9}" for code in runs)
          + "  target (bot)")
    cells, met = [], []
    for code_runs in runs.values():
        took = statistics.median(t for t, _ in code_runs)
        cells.append(f"{took * 1000:>10.0f}{took / floor_s:>9.2f}")
        met.append(took / floor_s <= TARGET_STARTUP_RATIO)
    print(f"  {'to /healthz ms':<22}{floor_s * 1000:>10.0f}{''.join(cells)}  "
          f"{'met' if met[0] else 'NOT met'}")
    cells, met = [], []
    for code_runs in runs.values():
        mb = statistics.median(m for _, m in code_runs)
        cells.append(f"{mb:>10.1f}{mb / floor_mb:>9.2f}")
        met.append(mb < TARGET_RSS_MB)
    print(f"  {'idle RSS MB':<22}{floor_mb:>10.1f}{''.join(cells)}  "
          f"{'met' if met[0] else 'NOT met'}", flush=True)


def measure_growth(code: str, root: Path, emu: Emulator, database_url: str, workdir: Path,
                   everyone: list[int], requests: int) -> None:
    rnd = random.Random(3)
    serve = serve_command(free_port())
    with running(serve, serve_env(emu, database_url, workdir),
                 workdir / f"serve-{code}.log", root) as url:
        pid = PIDS[url]

        def load(n: int) -> None:
            for kind in ("help", "list", "click"):
                fire(url, emu.requests(kind, rnd.choices(everyone, k=n // 3)), 20)
            emu.quiet()

        load(WARM_UP)
        before = rss_mb(pid)
        done, seen = 0, [before]
        while done < requests:
            step = min(STEP, requests - done)
            load(step)
            done += step
            seen.append(rss_mb(pid))
        after = rss_mb(pid)
    growth = after - before
    print(f"  {code}: RSS over {requests:,} requests, every {STEP:,}: "
          f"{' -> '.join(f'{mb:.1f}' for mb in seen)} MB "
          f"({growth:+.1f} MB)  {'met' if growth < NOISE_MB else 'NOT met'}",
          flush=True)
    print_warmed_growth(seen, requests)


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--starts", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="also measure the code in DIR, same floor, same run")
    parser.add_argument("--no-growth", dest="growth", action="store_false",
                        help="startup and idle RSS only")
    args = parser.parse_args(argv)
    starts = args.starts or (3 if args.small else 5)
    requests = args.requests or (2_000 if args.small else 10_000)
    codes = {"bot": ROOT, **({"baseline": args.baseline} if args.baseline else {})}
    for root in codes.values():
        compile_code(root)
    emu = Emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                bench_database("sqlite", Path(tmp), "startup") as engine:
            workdir = Path(tmp)
            seed_workspace(engine, postmortems=1_000)
            everyone = pm_ids(engine, mine=False)
            database_url = engine.url.render_as_string(False)
            env = {**os.environ, **serve_env(emu, database_url, workdir)}
            # The real thing: scheduler on, migrations checked.
            serve = cli("serve", "--host", "127.0.0.1", "--port", "0")
            runs: dict[str, list[tuple[float, float]]] = {"floor": [],
                                                          **{code: [] for code in codes}}
            for _ in range(starts):
                for code, root in codes.items():
                    runs[code].append(start_once(serve, env, root))
                runs["floor"].append(start_once(floor_command(0), env))
            print_startup(starts, runs)
            if args.growth:
                for code, root in codes.items():
                    measure_growth(code, root, emu, database_url, workdir, everyone, requests)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
