"""Startup and memory: `postmortem-bot serve` against the bare Bolt app of bench/floor.py.

    .venv/bin/python bench/startup.py            # 5 starts each, 10,000 requests for growth
    .venv/bin/python bench/startup.py --small    # 3 starts each, 2,000 requests

- startup: from spawning the process to the first 200 from /healthz (the bot migrates an
  up-to-date SQLite database on the way, as in production); median of `--starts`;
- idle RSS: the resident memory of the healthy process before any Slack request;
- growth: RSS after `--requests` signed requests (slash commands and Details clicks, 20 at a
  time, on a 1,000 post-mortem workspace, after-ack work drained) minus RSS after a warm-up
  of 500 of them; and, beside it, the growth after the first 2,000, whose bursts (and the
  after-ack work queued behind them) are the size of the rest, unlike the warm-up's.
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


def start_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds to healthy and the idle RSS (MB) of one fresh process."""
    port = free_port()
    command = [*command[:-1], str(port)]
    started = time.monotonic()
    process = subprocess.Popen(command, env={**env, **code_env(ROOT)}, cwd=ROOT,
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


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--starts", type=int, default=None)
    parser.add_argument("--requests", type=int, default=None)
    args = parser.parse_args(argv)
    starts = args.starts or (3 if args.small else 5)
    requests = args.requests or (2_000 if args.small else 10_000)
    emu = Emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                bench_database("sqlite", Path(tmp), "startup") as engine:
            workdir = Path(tmp)
            seed_workspace(engine, postmortems=1_000)
            everyone = pm_ids(engine, mine=False)
            env = {**os.environ, **serve_env(emu, engine.url.render_as_string(False), workdir)}
            # The real thing: scheduler on, migrations checked.
            serve = cli("serve", "--host", "127.0.0.1", "--port", "0")
            bot = [start_once(serve, env) for _ in range(starts)]
            floor = [start_once(floor_command(0), env) for _ in range(starts)]
            bot_s, floor_s = (statistics.median(t for t, _ in runs) for runs in (bot, floor))
            bot_mb, floor_mb = (statistics.median(m for _, m in runs) for runs in (bot, floor))
            ratio = bot_s / floor_s
            print(f"startup: median of {starts} starts; targets: to healthy within "
                  f"{TARGET_STARTUP_RATIO}x the floor, idle RSS < {TARGET_RSS_MB:.0f} MB")
            print(f"  {'':<22}{'floor':>10}{'bot':>10}{'x floor':>9}  target")
            print(f"  {'to /healthz ms':<22}{floor_s * 1000:>10.0f}{bot_s * 1000:>10.0f}"
                  f"{ratio:>9.2f}  {'met' if ratio <= TARGET_STARTUP_RATIO else 'NOT met'}")
            print(f"  {'idle RSS MB':<22}{floor_mb:>10.1f}{bot_mb:>10.1f}{bot_mb / floor_mb:>9.2f}"
                  f"  {'met' if bot_mb < TARGET_RSS_MB else 'NOT met'}", flush=True)

            rnd = random.Random(3)
            serve = serve_command(free_port())
            with running(serve, serve_env(emu, engine.url.render_as_string(False), workdir),
                         workdir / "serve.log") as url:
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
            print(f"  RSS over {requests:,} requests, every {STEP:,}: "
                  f"{' -> '.join(f'{mb:.1f}' for mb in seen)} MB "
                  f"({growth:+.1f} MB)  {'met' if growth < NOISE_MB else 'NOT met'}",
                  flush=True)
            print_warmed_growth(seen, requests)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
