"""Overdue action items, raised past their owners: once a week, each engineering manager gets
one DM listing their reports' items that are `policy.rollup_after_days` or more past due.

Two kinds of `rollup` row. The round (no target) is due at the policy's weekly hour on the
team's clock; when it comes it finds the managers with something to hear and plans one row
for each, keyed by manager and ISO week, so each is sent exactly once however often the round
runs, then plans next week's round. A manager's row lists what is still overdue when it is sent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from flows.policy import Policy, next_weekly
from flows.reminders.plan import iso_week
from storage.kinds import ROLLUP
from storage.queries import action_items
from storage.queries.action_items import OpenItem
from storage.tables import Reminder


@dataclass(frozen=True)
class Rollup:
    """What one manager's DM lists: their reports' overdue items, oldest due date first."""

    manager_id: str
    rows: list[OpenItem]
    today: date
    after_days: int


def plan_round(policy: Policy, now: datetime) -> Reminder:
    """The next weekly round, at the policy's weekday and hour on the team's clock."""
    tz = policy.deadline.timezone
    due_at = next_weekly(now, policy.nudge_weekday, policy.nudge_hour, tz)
    return Reminder(dedupe_key=f"rollup:{iso_week(due_at, tz)}", kind=ROLLUP, due_at=due_at,
                    payload={"tz": tz})


def _today(policy: Policy, now: datetime) -> date:
    return now.astimezone(ZoneInfo(policy.deadline.timezone)).date()


def _overdue_by_manager(
    session: Session, policy: Policy, now: datetime
) -> dict[tuple[str | None, str], list[OpenItem]]:
    """(workspace, manager) → their reports' items overdue long enough."""
    cutoff = _today(policy, now) - timedelta(days=policy.rollup_after_days)
    found: dict[tuple[str | None, str], list[OpenItem]] = defaultdict(list)
    for row in action_items.overdue_items(session, due_by=cutoff):
        manager = policy.manager_of(row[0].owner_id)
        if manager:
            found[(row[1].team_id, manager)].append(row)
    return found


def plan_manager_rows(session: Session, policy: Policy, now: datetime) -> list[Reminder]:
    """The round: one row per manager with something overdue, due now, once per week."""
    week = iso_week(now, policy.deadline.timezone)
    return [
        Reminder(dedupe_key=f"rollup:{team_id or ''}:{manager}:{week}", kind=ROLLUP,
                 target=manager, team_id=team_id, due_at=now, payload={"week": week})
        for team_id, manager in sorted(_overdue_by_manager(session, policy, now),
                                       key=lambda key: (key[0] or "", key[1]))
    ]


def rollup_for(
    session: Session, *, manager_id: str, team_id: str | None, policy: Policy, now: datetime
) -> Rollup:
    """What the manager's DM lists now: items finished since the round drop out."""
    rows = _overdue_by_manager(session, policy, now).get((team_id, manager_id), [])
    return Rollup(manager_id, rows, _today(policy, now), policy.rollup_after_days)
