"""The weekly overdue roll-up to managers, on the hand-made history: A's open item is due
2026-04-10 (10 days before NOW), X's (workspace T2) 2026-04-01; both owned by U0CAROL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from flows.policy import Policy, Team
from flows.reminders.rollup import plan_manager_rows, plan_round, rollup_for
from tests.flows.history import NOW, OTHER, TEAM

ROLES = {"engineering_manager": "U0EM"}


def test_one_row_per_manager_and_workspace_after_n_days(history: Session) -> None:
    rows = plan_manager_rows(history, Policy(roles=ROLES), NOW)
    assert [(r.dedupe_key, r.target, r.team_id, r.due_at) for r in rows] == [
        ("rollup:T1:U0EM:2026-W17", "U0EM", TEAM, NOW),
        ("rollup:T2:U0EM:2026-W17", "U0EM", OTHER, NOW),
    ]
    # Ten days overdue is not yet eleven; a team's manager replaces the role.
    later = Policy(roles=ROLES, rollup_after_days=11)
    assert [r.team_id for r in plan_manager_rows(history, later, NOW)] == [OTHER]
    teams = Policy(roles=ROLES, teams={"search": Team("U0SEARCH", ("U0CAROL",))})
    assert {r.target for r in plan_manager_rows(history, teams, NOW)} == {"U0SEARCH"}
    # Nobody to tell: no rows.
    assert plan_manager_rows(history, Policy(), NOW) == []


def test_the_dm_lists_what_is_overdue_when_sent(history: Session) -> None:
    rollup = rollup_for(history, manager_id="U0EM", team_id=TEAM, policy=Policy(roles=ROLES),
                        now=NOW)
    assert [(a.title, i.reference) for a, _, i in rollup.rows] == [("INC-A item 2", "INC-A")]
    assert (rollup.today, rollup.after_days) == (NOW.date(), 7)
    assert rollup_for(history, manager_id="U0OTHER", team_id=TEAM, policy=Policy(roles=ROLES),
                      now=NOW).rows == []


def test_the_round_is_weekly_on_the_teams_clock() -> None:
    policy = Policy(nudge_weekday=0, nudge_hour=9)
    first = plan_round(policy, NOW)  # Monday 2026-04-20 09:00 UTC: the next one is a week on
    assert (first.dedupe_key, first.due_at, first.target) == (
        "rollup:2026-W18", NOW + timedelta(days=7), None)
