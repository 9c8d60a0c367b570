"""Action item rules: one owner, SMART title, priorities and their deadlines, categories,
status moves, AI-n numbering and who may change what. Fixed clock, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from flows import action_items as ai
from flows.errors import FieldErrors, InvalidState, NotAllowed
from tests.flows.factories import action, postmortem

# Sunday 22 Nov 2026, 23:30 UTC: already Monday in Tokyo, still Sunday in New York.
NOW = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
RESOLVED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
GOOD = ai.ItemDraft(
    title="Add an alert when DB pool usage is above 80%",
    owner="U0BOB",
    priority="P1",
    category="Detection",
)


def errors_of(draft: ai.ItemDraft, **kw: Any) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        ai.validate_item(draft, now=NOW, **kw)
    return caught.value.errors


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("U0BOB", "U0BOB"),
        ("W0ENTERPRISE", "W0ENTERPRISE"),
        ("<@U0BOB>", "U0BOB"),
        ("<@U0BOB|bob>", "U0BOB"),
        ("  U0BOB ", "U0BOB"),
    ],
)
def test_a_single_person_is_an_owner(owner: str, expected: str) -> None:
    assert ai.check_owner(owner) == expected


@pytest.mark.parametrize(
    ("owner", "says"),
    [
        (None, "Pick the one person"),
        ("", "Pick the one person"),
        ("team", "“team” is not a person"),
        ("@db-team", "“@db-team” is not a person"),
        ("db team", "not a person"),
        ("S0DBTEAM", "group, not a person"),
        ("<!subteam^S0DBTEAM|@db-team>", "group, not a person"),
        ("<!here>", "group, not a person"),
        ("U0BOB, U0CAROL", "single owner"),
        ("<@U0BOB> <@U0CAROL>", "single owner"),
    ],
)
def test_teams_groups_and_several_people_are_not_owners(owner: str | None, says: str) -> None:
    with pytest.raises(FieldErrors) as caught:
        ai.check_owner(owner)
    assert says in caught.value.errors["owner"]
    if owner and "team" in owner:
        assert "“Team” is not an owner" in caught.value.errors["owner"]


@pytest.mark.parametrize(
    ("priority", "resolved_at", "tz", "due"),
    [
        # Two weeks / one month from the resolution day, P3 to the backlog.
        ("P0", RESOLVED, "UTC", date(2026, 12, 4)),
        ("P1", RESOLVED, "UTC", date(2026, 12, 4)),
        ("P2", RESOLVED, "UTC", date(2026, 12, 20)),
        ("P3", RESOLVED, "UTC", None),
        # No resolution known: counted from today, as the user's calendar says.
        ("P1", None, "UTC", date(2026, 12, 6)),
        ("P1", None, "Asia/Tokyo", date(2026, 12, 7)),
        ("P1", None, "America/New_York", date(2026, 12, 6)),
        ("P2", None, "UTC", date(2026, 12, 22)),
        # Resolved long ago: the window already closed, so it starts again today.
        ("P1", datetime(2026, 10, 1, tzinfo=UTC), "UTC", date(2026, 12, 6)),
        ("P2", datetime(2026, 10, 1, tzinfo=UTC), "UTC", date(2026, 12, 22)),
    ],
)
def test_default_due_date_follows_priority(
    priority: str, resolved_at: datetime | None, tz: str, due: date | None
) -> None:
    assert ai.default_due_on(priority, now=NOW, tz=tz, resolved_at=resolved_at) == due


def test_month_window_clamps_to_the_end_of_a_short_month() -> None:
    jan31 = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    assert ai.default_due_on("P2", now=jan31, resolved_at=jan31) == date(2027, 2, 28)


def test_valid_draft_gets_default_due_date_and_open_status() -> None:
    valid = ai.validate_item(GOOD, now=NOW, resolved_at=RESOLVED)
    assert valid == ai.ValidItem(
        title=GOOD.title, owner_id="U0BOB", priority="P1", category="Detection",
        due_on=date(2026, 12, 4), success_criteria=None, status="open",
    )


def test_explicit_due_date_and_success_criteria_are_kept() -> None:
    draft = replace(GOOD, due_on=date(2026, 12, 1), success_criteria="  Alert fires in staging ")
    valid = ai.validate_item(draft, now=NOW, resolved_at=RESOLVED)
    assert valid.due_on == date(2026, 12, 1)
    assert valid.success_criteria == "Alert fires in staging"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"title": "   "}, "title", "Say what will be done"),
        ({"title": "Improve monitoring"}, "title", "Be specific"),
        ({"title": "x " * 1501 + "y"}, "title", "under 3000 characters"),
        ({"owner": "team"}, "owner", "is not a person"),
        ({"priority": None}, "priority", "Pick a priority"),
        ({"priority": "P5"}, "priority", "“P5” is not a priority"),
        ({"priority": "urgent"}, "priority", "use P0, P1, P2 or P3"),
        ({"category": None}, "category", "Pick a category"),
        ({"category": "Nice-to-have"}, "category", "Prevention, Detection, Response"),
        ({"success_criteria": "y" * 3001}, "success_criteria", "under 3000 characters"),
        ({"due_on": date(2026, 11, 21)}, "due_on", "already over"),
    ],
)
def test_each_problem_is_reported_at_its_field(
    change: dict[str, Any], field: str, says: str
) -> None:
    errors = errors_of(replace(GOOD, **change))
    assert list(errors) == [field]
    assert says in errors[field]


def test_all_problems_come_back_at_once() -> None:
    draft = ai.ItemDraft(title="", owner="@db-team", priority="P9", category="Stuff")
    assert set(errors_of(draft)) == {"title", "owner", "priority", "category"}


def test_priority_and_category_spelling_is_forgiving() -> None:
    valid = ai.validate_item(replace(GOOD, priority=" p2", category="tooling"), now=NOW)
    assert (valid.priority, valid.category) == ("P2", "Tooling")


def test_today_in_the_users_time_zone_is_not_the_past() -> None:
    # 23:30 UTC on the 22nd is the 23rd in Tokyo: the 22nd is over there, not in New York.
    draft = replace(GOOD, due_on=date(2026, 11, 22))
    assert ai.validate_item(draft, now=NOW, tz="America/New_York").due_on == date(2026, 11, 22)
    assert "due_on" in errors_of(draft, tz="Asia/Tokyo")


def test_an_overdue_item_stays_editable_with_its_old_date() -> None:
    current = action(3, due_on=date(2026, 11, 1), title="Add the alert")
    draft = replace(GOOD, title="Add the alert", due_on=date(2026, 11, 1), status="in_progress")
    valid = ai.validate_item(draft, now=NOW, current=current)
    assert (valid.due_on, valid.status, valid.title) == (
        date(2026, 11, 1), "in_progress", "Add the alert"
    )


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        ("open", "in_progress", True),
        ("open", "done", True),
        ("open", "wont_do", True),
        ("in_progress", "done", True),
        ("in_progress", "wont_do", True),
        ("in_progress", "open", True),
        ("done", "open", True),
        ("wont_do", "open", True),
        ("done", "in_progress", True),
        ("done", "done", True),
        ("done", "wont_do", False),
        ("wont_do", "done", False),
        ("open", "finished", False),
    ],
)
def test_status_moves(current: str, wanted: str, allowed: bool) -> None:
    if allowed:
        assert ai.next_status(current, wanted) == wanted
    else:
        with pytest.raises(InvalidState):
            ai.next_status(current, wanted)


def test_done_sets_done_at_and_reopening_clears_it() -> None:
    item = action(1)
    assert ai.apply_status(item, "done", NOW) is True
    assert (item.status, item.done_at, item.updated_at) == ("done", NOW, NOW)
    assert ai.apply_status(item, "done", NOW) is False
    assert ai.apply_status(item, "open", NOW) is True
    assert item.done_at is None


def test_a_bad_status_in_the_edit_form_is_a_field_error() -> None:
    errors = errors_of(replace(GOOD, status="wont_do"), current=action(1, status="done"))
    assert "reopen it first" in errors["status"]


def test_changes_are_described_for_the_thread() -> None:
    item = action(2, priority="P2", due_on=date(2026, 12, 20))
    valid = ai.ValidItem(
        title=item.title, owner_id="U0CAROL", priority="P3", category=item.category,
        due_on=None, success_criteria=item.success_criteria, status="done",
    )
    changes = ai.apply_changes(item, valid, NOW)
    assert changes == [
        "owner → <@U0CAROL>", "priority P2 → P3", "due 2026-12-20 → backlog", "status → done",
    ]
    assert (item.owner_id, item.priority, item.due_on, item.done_at) == ("U0CAROL", "P3", None, NOW)
    assert ai.apply_changes(item, valid, NOW) == []


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [([], 1), ([1], 2), ([1, 2, 3], 4), ([1, 5], 6), ([3, 1, 2], 4)],
)
def test_numbering_takes_the_next_after_the_highest(numbers: list[int], expected: int) -> None:
    assert ai.next_number(numbers) == expected


def test_label() -> None:
    assert ai.label(action(3)) == "AI-3"


@pytest.mark.parametrize(
    ("user", "may"),
    [
        ("U0ALICE", True),  # author
        ("U0FAC", True),  # facilitator
        ("U0IC", True),  # incident commander
        ("U0REV", True),  # reviewer
        ("U0BOB", True),  # the item's owner
        ("U0DAN", False),  # anyone else
    ],
)
def test_who_may_change_an_items_status(user: str, may: bool) -> None:
    pm = postmortem(facilitator_id="U0FAC", commander_id="U0IC", reviewers=["U0REV"])
    item = action(1, owner_id="U0BOB")
    assert ai.may_change_status(pm, item, user) is may
    if not may:
        with pytest.raises(NotAllowed, match="AI-1's owner"):
            ai.require_status_change(pm, item, user)


@pytest.mark.parametrize(
    ("item", "today", "overdue"),
    [
        (action(1, due_on=date(2026, 11, 21)), date(2026, 11, 22), True),
        (action(1, due_on=date(2026, 11, 22)), date(2026, 11, 22), False),
        (action(1, due_on=None), date(2026, 11, 22), False),
        (action(1, due_on=date(2026, 11, 21), status="done"), date(2026, 11, 22), False),
    ],
)
def test_overdue(item: Any, today: date, overdue: bool) -> None:
    assert ai.is_overdue(item, today) is overdue
