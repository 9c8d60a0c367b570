"""Reminder planning: right UTC moments across DST and holidays, dedupe keys, follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flows.policy import Deadline, Policy, Team
from flows.reminders.nudge import plan_nudge
from flows.reminders.plan import (
    Change,
    escalation_recipients,
    iso_week,
    moot_kinds_on,
    plan_deadline,
    plan_digest,
    plan_follow_ups,
    plan_p2_check_ins,
)
from storage.queries.claims import catch_up_group, retry_delay
from storage.tables import Incident, Postmortem

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def pm_due(due: datetime | None, **kw: Any) -> Postmortem:
    fields: dict[str, Any] = {
        "id": 7, "incident_id": 3, "owner_id": "U0OWNER", "facilitator_id": "U0FAC",
        "reviewers": ["U0REV", "U0FAC"], "due_at": due, "created_at": utc(2025, 1, 1),
        "updated_at": utc(2025, 1, 1),
    }
    return Postmortem(**(fields | kw))


INCIDENT = Incident(id=3, reference="INC-2025-10-24-001", title="t", severity=1,
                    created_at=utc(2025, 10, 24))


def by_key(rows: list[Any]) -> dict[str, datetime]:
    return {r.dedupe_key: r.due_at for r in rows}


def test_deadline_reminders_are_absolute_hours_across_the_october_dst_change() -> None:
    # Resolved Friday 16:00 in Berlin (CEST); 48 h later it is Sunday 15:00 CET: clocks went
    # back on 26 Oct, but the deadline and its reminders are plain UTC arithmetic.
    # Stored times are UTC (storage/types.py), which is what the policy is handed.
    resolved = datetime(2025, 10, 24, 16, 0, tzinfo=BERLIN).astimezone(UTC)
    policy = Policy()
    due = policy.deadline.due_at(resolved)
    assert due == utc(2025, 10, 26, 14, 0)
    rows = plan_deadline(pm_due(due), INCIDENT, policy, now=utc(2025, 10, 24, 14, 5))
    assert by_key(rows) == {
        "pm:7:deadline:24h": utc(2025, 10, 25, 14, 0),
        "pm:7:deadline:4h": utc(2025, 10, 26, 10, 0),
        "pm:7:escalation:1": utc(2025, 10, 26, 14, 0),
        "pm:7:escalation:2": utc(2025, 10, 27, 14, 0),
    }
    assert all(r.due_at.tzinfo == UTC for r in rows)


def test_targets_and_payloads() -> None:
    rows = {r.dedupe_key: r for r in plan_deadline(
        pm_due(utc(2025, 3, 3, 12)), INCIDENT, Policy(), now=utc(2025, 3, 1)
    )}
    assert rows["pm:7:deadline:24h"].target == "U0OWNER"
    assert rows["pm:7:deadline:24h"].kind == "deadline"
    stage1 = rows["pm:7:escalation:1"]
    assert stage1.kind == "escalation"
    assert stage1.payload["recipients"] == ["U0FAC", "U0REV"]  # facilitator + reviewers, once
    stage2 = rows["pm:7:escalation:2"]
    assert stage2.target is None and stage2.payload["audience"] == "announce"


def test_business_day_deadline_skips_german_christmas() -> None:
    policy = Policy(deadline=Deadline(hours=None, business_days=2, country="DE",
                                      timezone="Europe/Berlin"))
    # Tuesday 23 Dec 15:00: the 24th counts, the 25th/26th are holidays, then a weekend.
    due = policy.deadline.due_at(datetime(2025, 12, 23, 15, 0, tzinfo=BERLIN))
    assert due == utc(2025, 12, 29, 14, 0)  # Monday 15:00 CET
    rows = by_key(plan_deadline(pm_due(due), INCIDENT, policy, now=utc(2025, 12, 23, 14)))
    assert rows["pm:7:deadline:24h"] == utc(2025, 12, 28, 14, 0)
    assert rows["pm:7:deadline:4h"] == utc(2025, 12, 29, 10, 0)


def test_business_day_deadline_keeps_wall_clock_across_dst() -> None:
    policy = Policy(deadline=Deadline(hours=None, business_days=2, timezone="Europe/Berlin"))
    due = policy.deadline.due_at(datetime(2025, 10, 24, 10, 0, tzinfo=BERLIN))  # Fri, CEST
    assert due == utc(2025, 10, 28, 9, 0)  # Tue 10:00 CET
    rows = by_key(plan_deadline(pm_due(due), INCIDENT, policy, now=utc(2025, 10, 24, 8)))
    assert rows["pm:7:deadline:24h"] == utc(2025, 10, 27, 9, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # On time: all four.
        (utc(2025, 3, 1), {"deadline:24h", "deadline:4h", "escalation:1", "escalation:2"}),
        # Started 10 h before the deadline: the 24 h one is kept (sent at once), not dropped.
        (utc(2025, 3, 3, 2), {"deadline:24h", "deadline:4h", "escalation:1", "escalation:2"}),
        # 2 h before: the 24 h one is dropped, the 4 h one (now past) is the one kept.
        (utc(2025, 3, 3, 10), {"deadline:4h", "escalation:1", "escalation:2"}),
        # An hour past the deadline: the stage-1 escalation is kept, stage 2 still ahead.
        (utc(2025, 3, 3, 13), {"escalation:1", "escalation:2"}),
        # Long past everything: exactly one, the latest.
        (utc(2025, 3, 9), {"escalation:2"}),
    ],
)
def test_late_start_keeps_only_the_latest_past_reminder(
    now: datetime, expected: set[str]
) -> None:
    rows = plan_deadline(pm_due(utc(2025, 3, 3, 12)), INCIDENT, Policy(), now=now)
    assert {r.dedupe_key.removeprefix("pm:7:") for r in rows} == expected
    assert sum(1 for r in rows if r.due_at <= now) <= 1


@pytest.mark.parametrize("change", [{"required": False}, {"status": "published"},
                                    {"due_at": None}])
def test_no_deadline_reminders_when_optional_published_or_undated(change: dict[str, Any]) -> None:
    pm = pm_due(utc(2025, 3, 3, 12), **change)
    assert plan_deadline(pm, INCIDENT, Policy(), now=utc(2025, 3, 1)) == []


def test_offsets_that_are_not_whole_hours_get_minute_keys() -> None:
    policy = Policy(reminder_offsets=(timedelta(minutes=90),), escalation_after=())
    rows = plan_deadline(pm_due(utc(2025, 3, 3, 12)), INCIDENT, policy, now=utc(2025, 3, 1))
    assert by_key(rows) == {"pm:7:deadline:90m": utc(2025, 3, 3, 10, 30)}


@pytest.mark.parametrize(
    ("now", "due", "week"),
    [
        # Monday 09:00 in Berlin: 07:00 UTC in summer time, 08:00 UTC after 26 Oct.
        (utc(2025, 10, 15, 12), utc(2025, 10, 20, 7), "2025-W43"),
        (utc(2025, 10, 22, 12), utc(2025, 10, 27, 8), "2025-W44"),
        # Sunday 26 Oct itself (the change happens at 01:00 UTC): next day, winter time.
        (utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 8), "2025-W44"),
        # Spring forward on 30 Mar 2025: back to 07:00 UTC.
        (utc(2025, 3, 28, 12), utc(2025, 3, 31, 7), "2025-W14"),
    ],
)
def test_nudge_at_nine_local_in_the_owners_zone(now: datetime, due: datetime, week: str) -> None:
    row = plan_nudge("U0ANNA", "Europe/Berlin", Policy(), now)
    assert row.due_at == due
    assert row.dedupe_key == f"nudge:U0ANNA:{week}"
    assert row.kind == "nudge" and row.target == "U0ANNA"


def test_nudge_week_is_the_owners_local_week() -> None:
    # Monday 09:00 in Auckland (NZDT) is still Sunday in UTC: the key follows the owner.
    row = plan_nudge("U0KEN", "Pacific/Auckland", Policy(), utc(2025, 10, 22))
    assert row.due_at == utc(2025, 10, 26, 20)
    assert row.dedupe_key == "nudge:U0KEN:2025-W44"
    assert iso_week(row.due_at, "UTC") == "2025-W43"


def test_nudge_is_one_row_per_owner_per_week() -> None:
    a = plan_nudge("U1", "UTC", Policy(), utc(2025, 10, 21, 10))
    b = plan_nudge("U1", "UTC", Policy(), utc(2025, 10, 23, 18))
    assert a.dedupe_key == b.dedupe_key and a.due_at == b.due_at
    # Sent at 09:00:30 on Monday: the next one is the following week.
    c = plan_nudge("U1", "UTC", Policy(), a.due_at + timedelta(seconds=30))
    assert c.due_at == a.due_at + timedelta(days=7) and c.dedupe_key != a.dedupe_key


def test_digest_key_and_time() -> None:
    row = plan_digest("C0ENG", Policy(), utc(2025, 10, 22))
    assert (row.kind, row.target, row.dedupe_key) == ("digest", "C0ENG", "digest:C0ENG:2025-W44")
    assert row.due_at == utc(2025, 10, 27, 9)


@pytest.mark.parametrize(
    ("severity", "keys"),
    [
        (0, {"day10", "week2", "day30"}),
        (1, {"day10", "week2", "day30"}),
        (2, {"day10", "month1", "day30"}),
        (3, {"day10", "day30"}),
        (None, {"day10", "week2", "month1", "day30"}),
    ],
)
def test_follow_ups_by_severity(severity: int | None, keys: set[str]) -> None:
    published = utc(2025, 11, 3, 15)
    rows = plan_follow_ups(pm_due(utc(2025, 11, 1)), Policy(), published, severity=severity)
    assert {r.dedupe_key.split(":")[-1] for r in rows} == keys
    days = {"day10": 10, "week2": 14, "month1": 30, "day30": 30}
    for row in rows:
        key = row.dedupe_key.split(":")[-1]
        assert row.dedupe_key == f"pm:7:follow_up:{key}"
        assert row.due_at == published + timedelta(days=days[key])
        assert row.kind == "follow_up" and row.target == "U0OWNER"
        assert row.payload["key"] == key
    recurrence = [r for r in rows if r.payload["scope"] == "recurrence"]
    assert len(recurrence) == 1 and "question" in recurrence[0].payload


def test_moot_kinds() -> None:
    assert moot_kinds_on(Change.PUBLISHED) == {"deadline", "escalation"}
    assert moot_kinds_on("closed") == {"deadline", "escalation", "follow_up"}
    assert moot_kinds_on(Change.ITEM_DONE) == {"snooze"}
    assert moot_kinds_on(Change.DUE_MOVED) == frozenset()


def test_catch_up_groups_keep_the_recurrence_question_apart() -> None:
    rows = plan_follow_ups(pm_due(utc(2025, 11, 1)), Policy(), utc(2025, 11, 3), severity=2)
    groups = {r.payload["key"]: catch_up_group(r) for r in rows}
    assert groups["day10"] == groups["month1"] != groups["day30"]
    deadline = plan_deadline(pm_due(utc(2025, 11, 5)), INCIDENT, Policy(), utc(2025, 11, 1))
    assert len({catch_up_group(r) for r in deadline}) == 2  # one deadline, one escalation


def test_retry_backoff_grows_and_caps_at_an_hour() -> None:
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delays[-1] == timedelta(hours=1)
    assert retry_delay(10_000) == timedelta(hours=1)


@pytest.mark.parametrize("severity", [0, 1, 3])
def test_p2_items_earn_the_one_month_check_in_whatever_the_severity(severity: int) -> None:
    published = utc(2025, 11, 3, 15)
    without = plan_follow_ups(pm_due(None), Policy(), published, severity=severity,
                              priorities=["P0", "P1", "P3"])
    with_p2 = plan_follow_ups(pm_due(None), Policy(), published, severity=severity,
                              priorities=["P1", "P2"])
    assert "pm:7:follow_up:month1" not in by_key(without)
    assert by_key(with_p2)["pm:7:follow_up:month1"] == published + timedelta(days=30)
    assert set(by_key(with_p2)) - set(by_key(without)) == {"pm:7:follow_up:month1"}


def test_a_p2_item_added_after_publishing_plans_only_the_check_ins_still_ahead() -> None:
    published = utc(2025, 11, 3, 15)
    pm = pm_due(None, published_at=published, status="published")
    assert by_key(plan_p2_check_ins(pm, Policy(), published + timedelta(days=5))) == {
        "pm:7:follow_up:month1": published + timedelta(days=30)
    }
    assert plan_p2_check_ins(pm, Policy(), published + timedelta(days=31)) == []
    assert plan_p2_check_ins(pm_due(None), Policy(), published) == []  # not published


def test_escalation_falls_back_to_the_policys_roles() -> None:
    policy = Policy(roles={"engineering_manager": "U0EM", "vp_engineering": "U0VP"})
    alone = pm_due(utc(2025, 3, 3, 12), facilitator_id=None, reviewers=[])
    rows = {r.dedupe_key: r for r in plan_deadline(alone, INCIDENT, policy, now=utc(2025, 3, 1))}
    # Each role gets a DM of its own (they may not be in the incident channel).
    assert [(k, r.target, r.payload["direct"]) for k, r in rows.items()
            if r.payload.get("stage") == 1] == [("pm:7:escalation:1", "U0EM", True),
                                                 ("pm:7:escalation:1:U0VP", "U0VP", True)]
    assert catch_up_group(rows["pm:7:escalation:1"]) != catch_up_group(
        rows["pm:7:escalation:1:U0VP"])
    # Planned late, both DMs still go out at once.
    late = plan_deadline(alone, INCIDENT, policy, now=utc(2025, 3, 3, 13))
    assert [r.dedupe_key for r in late] == ["pm:7:escalation:1", "pm:7:escalation:1:U0VP",
                                            "pm:7:escalation:2"]
    # A team's own manager comes first; the post-mortem's own people always win.
    teams = Policy(roles=policy.roles, teams={"pay": Team("U0PAYEM", ("U0OWNER",))})
    assert escalation_recipients(alone, teams) == ["U0PAYEM", "U0VP"]
    assert escalation_recipients(pm_due(None), policy) == ["U0FAC", "U0REV"]
    # No roles: the owner hears it, as before.
    assert escalation_recipients(alone, Policy()) == ["U0OWNER"]
    # An owner who is the manager is not escalated to themselves.
    assert escalation_recipients(pm_due(None, owner_id="U0EM", facilitator_id=None,
                                        reviewers=[]), policy) == ["U0VP"]
