"""The in-process timer that runs the reminder sweep every minute.

APScheduler only ticks: every job lives in memory and carries no business state. What is due
lives in the `reminder` table, so restarts, replicas and missed ticks lose nothing; several
replicas may tick at once because claiming is atomic.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.deps import Deps
from bot.jobs.sweep import default_worker_id, ensure_digest, ensure_rollup, run_sweep
from bot.jobs.trackers import poll_trackers
from bot.slack.report.plan import ensure_reports

log = logging.getLogger(__name__)
SWEEP_JOB_ID = "reminder-sweep"
SWEEP_EVERY = timedelta(minutes=1)


def sweep_once(deps: Deps, client: WebClient | None, worker_id: str) -> None:
    """One tick. Errors are logged and the next tick tries again."""
    try:
        report = run_sweep(deps, client, worker_id=worker_id)
    except Exception:
        log.exception("reminder sweep failed")
        return
    if report.sent or report.failed or report.skipped:
        for line in report.lines():
            log.info("%s", line)


TRACKER_POLL_EVERY = timedelta(hours=1)


def trackers_configured(deps: Deps) -> bool:
    extra = deps.settings.extra
    return bool(extra.get("GITHUB_TOKEN") or extra.get("JIRA_BASE_URL"))


def start_scheduler(
    deps: Deps, client: WebClient | None, *, every: timedelta = SWEEP_EVERY,
    worker_id: str | None = None,
) -> BackgroundScheduler:
    """Start sweeping in a background thread; call `.shutdown()` on the result to stop."""
    worker = worker_id or default_worker_id()
    ensure_digest(deps, deps.now())
    ensure_rollup(deps, deps.now())
    ensure_reports(deps, deps.now())
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        timezone=UTC,
    )
    scheduler.add_job(
        sweep_once,
        "interval",
        seconds=every.total_seconds(),
        args=[deps, client, worker],
        id=SWEEP_JOB_ID,
        # A slow sweep must not overlap the next one, and ticks missed while it ran (or while
        # the process was paused) collapse into one: the table, not the tick, says what's due.
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(every.total_seconds()),
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    if trackers_configured(deps):
        # Closure normally arrives by webhook; the poll catches installs without one.
        scheduler.add_job(
            poll_trackers,
            "interval",
            seconds=TRACKER_POLL_EVERY.total_seconds(),
            args=[deps],
            id="poll-trackers",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    scheduler.start()
    log.info("reminder sweep every %s as worker %s", every, worker)
    return scheduler
