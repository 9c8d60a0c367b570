"""The monthly program report as an outbox row: rendered once when due (chart and table kept
in `program_report`), then uploaded with files v2 into the announce channel, the table as the
file's message. The sweep sends it exactly once like any row; sending it plans next month's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.slack.report.chart import render_chart
from bot.slack.report.table import report_table
from flows.program_report import month_of, next_month, program_report, publish_deadline
from flows.reminders.plan import plan_report
from storage.db import session_scope
from storage.queries import reports
from storage.queries.reminders import add_reminders, insert_reminders
from storage.queries.tracker import EVERY_WORKSPACE, team_choices
from storage.tables import Reminder
from storage.workspace_tables import ProgramReport

After = Callable[[Session, str | None, str | None], None]


def render_report(
    session: Session, deps: Deps, *, team_id: str | None, month: str, now: datetime
) -> ProgramReport:
    """Compute, draw and store the month's report (again, if it was rendered before)."""
    report = program_report(session, team_id=team_id, month=month, now=now,
                            deadline=publish_deadline(deps.policy))
    return reports.save_report(session, team_id=team_id, month=month,
                               chart=render_chart(report), table=report_table(report), now=now)


def filename(month: str) -> str:
    return f"postmortem-program-{month}.png"


def report_upload(
    session: Session, deps: Deps, row: Reminder, now: datetime
) -> tuple[dict[str, Any], After | None]:
    """What the row uploads (bot.slack.delivery.Upload's fields) and what its sending plans.
    A retry uploads what was rendered the first time."""
    month = str((row.payload or {})["month"])
    stored = reports.get_report(session, team_id=row.team_id, month=month)
    if stored is None:
        stored = render_report(session, deps, team_id=row.team_id, month=month, now=now)
    channel = row.target or deps.settings.announce_channel
    upload = {"channel": channel, "thread_ts": None, "filename": filename(month),
              "title": f"Post-mortem program {month}", "content": stored.chart,
              "comment": stored.table}
    if not (row.payload or {}).get("chain"):
        return upload, None
    team = row.team_id

    def plan_next(s: Session, _channel: str | None, _ts: str | None) -> None:
        add_reminders(s, [plan_report(team, next_month(month), channel, deps.policy)])

    return upload, plan_next


def ensure_reports(deps: Deps, now: datetime) -> None:
    """Plan this month's report for every workspace with post-mortems (idempotent); each one
    sent plans the next. A workspace's first post-mortem starts its chain at the next start."""
    channel = deps.settings.announce_channel
    with session_scope(deps.sessions) as session:
        teams = team_choices(session, team_id=EVERY_WORKSPACE)
        add_reminders(session, [plan_report(t, month_of(now), channel, deps.policy)
                                for t in teams])


def post_report_now(
    session: Session, deps: Deps, *, team_id: str | None, month: str, now: datetime,
    channel: str | None = None,
) -> list[int]:
    """An outbox row posting the month's report now (`postmortem-bot report`), freshly
    rendered; the monthly row keeps its own schedule."""
    render_report(session, deps, team_id=team_id, month=month, now=now)
    row = plan_report(team_id, month, channel or deps.settings.announce_channel, deps.policy,
                      chain=False)
    row.dedupe_key, row.due_at = f"{row.dedupe_key}:now:{uuid.uuid4().hex}", now
    return insert_reminders(session, [row])
