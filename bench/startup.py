"""Startup and memory: `postmortem-bot serve` against the bare Bolt app of bench/floor.py.

    .venv/bin/python bench/startup.py            # 5 starts each, 10,000 requests for growth
    .venv/bin/python bench/startup.py --small    # 3 starts each, 2,000 requests
    .venv/bin/python bench/startup.py --baseline /tmp/main   # before/after, same run

- startup: from spawning the process to the first 200 from /healthz (the bot migrates an
  up-to-date SQLite database on the way, as in production); median of `--starts`; beside
  the floor, the floor of the bot's stack (`floor.py --storage`: the same app with SQLModel
  loaded and /healthz answered from the database), whose imports alone the bot cannot skip;
- idle RSS: the resident memory of the healthy process before any Slack request;
- growth: RSS after `--requests` signed requests (slash commands and Details clicks, 20 at a
  time, on a 1,000 post-mortem workspace, after-ack work drained) minus RSS after a warm-up
  of one step of the same requests in bursts of the same size: the after-ack work queued
  behind a burst grows with the burst, so a smaller warm-up would leave the first step to
  raise the allocators' high-water mark once. The whole curve is printed, from idle on.
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
# Requests between two RSS readings, the warm-up's too; a third of each step is one kind.
STEP = 2_000


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


def print_startup(starts: int, runs: dict[str, list[tuple[float, float]]]) -> None:
    floor, stack = runs.pop("floor"), runs.pop("stack")
    floor_s = statistics.median(t for t, _ in floor)
    stack_s = statistics.median(t for t, _ in stack)
    floor_mb = statistics.median(m for _, m in floor)
    print(f"startup: median of {starts} starts, alternating; targets: to healthy within "
          f"{TARGET_STARTUP_RATIO}x the floor, idle RSS < {TARGET_RSS_MB:.0f} MB")
    print(f"  {'':<22}{'floor':>10}{'stack':>10}{'x floor':>9}"
          + "".join(f"{code:>10}{'x floor':>9}{'x stack':>9}" for code in runs)
          + "  target (bot)")
    cells, met = [], []
    for code_runs in runs.values():
        took = statistics.median(t for t, _ in code_runs)
        cells.append(f"{took * 1000:>10.0f}{took / floor_s:>9.2f}{took / stack_s:>9.2f}")
        met.append(took / floor_s <= TARGET_STARTUP_RATIO)
    print(f"  {'to /healthz ms':<22}{floor_s * 1000:>10.0f}{stack_s * 1000:>10.0f}"
          f"{stack_s / floor_s:>9.2f}{''.join(cells)}  {'met' if met[0] else 'NOT met'}")
    cells, met = [], []
    for code_runs in runs.values():
        mb = statistics.median(m for _, m in code_runs)
        cells.append(f"{mb:>10.1f}{mb / floor_mb:>9.2f}{'':>9}")
        met.append(mb < TARGET_RSS_MB)
    stack_mb = statistics.median(m for _, m in stack)
    print(f"  {'idle RSS MB':<22}{floor_mb:>10.1f}{stack_mb:>10.1f}{'':>9}{''.join(cells)}  "
          f"{'met' if met[0] else 'NOT met'}")
    print("  (stack: the floor with SQLModel loaded and /healthz from the database, nothing of "
          "the bot; bench/floor.py --storage)", flush=True)


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

        idle = rss_mb(pid)
        load(STEP)
        before = rss_mb(pid)
        done, seen = 0, [before]
        while done < requests:
            step = min(STEP, requests - done)
            load(step)
            done += step
            seen.append(rss_mb(pid))
        after = rss_mb(pid)
    growth = after - before
    print(f"  {code}: RSS idle {idle:.1f} MB, after a warm-up of {STEP:,} requests {before:.1f};"
          f" then every {STEP:,}: {' -> '.join(f'{mb:.1f}' for mb in seen[1:])} MB",
          flush=True)
    print(f"  {code}: growth over the {requests:,} requests after the warm-up: {growth:+.1f} MB"
          f"  {'met' if growth < NOISE_MB else 'NOT met'}", flush=True)


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
            runs: dict[str, list[tuple[float, float]]] = {
                "floor": [], "stack": [], **{code: [] for code in codes}}
            for _ in range(starts):
                for code, root in codes.items():
                    runs[code].append(start_once(serve, env, root))
                runs["floor"].append(start_once(floor_command(0), env))
                runs["stack"].append(start_once(floor_command(0, storage=True), env))
            print_startup(starts, runs)
            if args.growth:
                for code, root in codes.items():
                    measure_growth(code, root, emu, database_url, workdir, everyone, requests)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
