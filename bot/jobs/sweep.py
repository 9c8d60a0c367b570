"""The sweep: claim what is due in the outbox (reminders, and announcements that could not go
out right after their change), send it exactly once, settle it (bot/slack/delivery.py).

Claiming and settling are short transactions; the Slack call happens between them with none
open, so a slow Slack never holds a lock. A row is held by a lease: if this process dies
mid-sweep, another sweep claims it again after the lease, looks in Slack for what the dead
one may have sent, and sends only what is not there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.jobs.replay import save_unsaved
from bot.slack.delivery import (
    DEFAULT_LEASE,
    ChannelPacer,
    Report,
    default_worker_id,
    deliver,
    entry,
)
from bot.slack.delivery_plans import Post, Skip, prepare
from flows.reminders.plan import plan_digest
from flows.reminders.rollup import plan_round
from storage.db import session_scope
from storage.queries import claims
from storage.queries import reminders as store
from storage.queries.claims import catch_up_group
from storage.queries.tracker import EVERY_WORKSPACE, team_choices
from storage.tables import Reminder

__all__ = ["ChannelPacer", "Report", "SweepReport", "default_worker_id", "ensure_digest",
           "ensure_rollup", "run_sweep"]

SweepReport = Report


def run_sweep(
    deps: Deps,
    client: WebClient | None = None,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    worker_id: str | None = None,
    limit: int = 500,
    lease: timedelta = DEFAULT_LEASE,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Report:
    """Send every due row once. `now` fixes the clock (tests); dry runs claim nothing.
    `client` overrides the workspace's client (tests)."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else deps.now
    if dry_run:
        return _dry_run(deps, clock(), limit)
    worker = worker_id or default_worker_id()
    report = Report()
    # First, so that the thread notes of what they save go out in this same sweep.
    report.forms_saved = save_unsaved(deps, clock())
    with session_scope(deps.sessions) as session:
        rows = claims.claim_due_reminders(
            session, now=clock(), worker_id=worker, lease=lease, limit=limit
        )
    # Stop well inside the lease, or another sweep may claim and send these rows too.
    deadline = monotonic() + lease.total_seconds() * 0.8
    deliver(deps, rows, worker=worker, clock=clock, report=report,
            pacer=ChannelPacer(sleep=sleep, monotonic=monotonic), deadline=deadline,
            monotonic=monotonic, client=client)
    return report


def _dry_run(deps: Deps, now: datetime, limit: int) -> Report:
    report = Report(dry_run=True)
    with session_scope(deps.sessions) as session:
        rows = claims.list_due_reminders(session, now=now, limit=limit)
        latest: dict[tuple[Any, ...], Reminder] = {}
        for row in rows:
            latest[catch_up_group(row)] = row  # rows come oldest first
        for row in rows:
            if latest[catch_up_group(row)] is not row:
                report.skipped.append(entry(row, "superseded by a later reminder"))
                continue
            plan, _ = prepare(session, deps, row, now)
            if isinstance(plan, Skip):
                report.skipped.append(entry(row, plan.reason))
            elif isinstance(plan, Post):
                text = plan.render(None).get("text", "")
                report.sent.append(entry(row, text, plan.channel))
            else:
                report.sent.append(entry(row, row.kind))
        session.rollback()
    return report


def ensure_digest(deps: Deps, now: datetime) -> None:
    """Plan the next weekly channel digest (idempotent); the sweep keeps the chain going.
    Serving many workspaces, one per workspace with post-mortems, of its own items (like the
    monthly report: a workspace's first post-mortem starts its chain at the next start)."""
    channel = deps.policy.digest_channel or deps.settings.announce_channel
    with session_scope(deps.sessions) as session:
        teams: list[str | None] = [None]
        if deps.installs is not None:
            teams = [t for t in team_choices(session, team_id=EVERY_WORKSPACE) if t]
        store.add_reminders(session, [plan_digest(channel, deps.policy, now, team_id=t)
                                      for t in teams])


def ensure_rollup(deps: Deps, now: datetime) -> None:
    """Plan the next weekly overdue roll-up to managers (idempotent); each round plans the next.
    Nothing while the policy names no manager (no team, no engineering_manager role)."""
    if not deps.policy.names_managers:
        return
    with session_scope(deps.sessions) as session:
        store.add_reminders(session, [plan_round(deps.policy, now)])
