"""Each quality rule: one record that breaks it, one that does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from flows.policy import Policy
from flows.quality import Finding, blocking, can_submit, check_quality
from storage.record import PostmortemRecord
from tests.flows.factories import NOW, action, full_record, learning, why

Edit = Callable[[PostmortemRecord], None]


def findings(edit: Edit | None = None, now_offset: timedelta = timedelta(0)) -> list[Finding]:
    record = full_record()
    if edit:
        edit(record)
    return check_quality(record, Policy(), NOW + now_offset)


def of(rule: str, found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.rule == rule]


def test_a_complete_postmortem_has_no_findings() -> None:
    assert findings() == []


def _root(text: str) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.postmortem.root_cause = text
    return edit


def _why(text: str) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.whys[2].answer = text
    return edit


def _factor(text: str) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.factors[0].text = text
    return edit


@pytest.mark.parametrize(
    ("edit", "offending"),
    [
        (_root("Human error during the deploy"), "Human error"),
        (_root("Operator error in the failover"), "Operator error"),
        (_why("<@U0BOB> forgot to run the migration"), "<@U0BOB> forgot"),
        (_why("Engineer Bob made a mistake in the config"), "Engineer Bob made a mistake"),
        (_factor("Alice should have noticed the alert"), "Alice should have noticed"),
        (_factor("I should have tested it"), "I should have"),
        (_why("The on-call engineer ignored the page"), "The on-call engineer ignored"),
        (_root("A mistake by Carol"), "mistake by Carol"),
    ],
)
def test_blame_is_an_error(edit: Edit, offending: str) -> None:
    found = of("blame", findings(edit))
    assert [(f.level, f.offending) for f in found] == [("error", offending)]


def _learning(kind: str, text: str) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.learnings.append(learning(kind, text))
    return edit


def _set(attr: str, text: str) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        setattr(r.postmortem, attr, text)
    return edit


def _timeline(text: str) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.timeline[3].text = text
    return edit


def _item(text: str) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.action_items[1].success_criteria = text
    return edit


@pytest.mark.parametrize(
    ("edit", "where", "offending", "suggestion"),
    [
        (_learning("went_poorly", "The on-call engineer forgot to check the dashboard"),
         "what went poorly", "The on-call engineer forgot",
         "The deployment pipeline has no test gate for this endpoint"),
        (_learning("went_poorly", "Human error during deploy"), "what went poorly",
         "Human error", "The system allowed X without safeguard Y"),
        (_learning("lesson_culture", "I should have noticed the spike"), "culture lessons",
         "I should have", "There's no monitoring alert for this failure mode"),
        (_set("summary", "Checkout broke because I knew this was risky"), "the summary",
         "I knew", "Known risk was not mitigated with a safeguard"),
        (_set("customer_impact", "Users hit errors after @dave forgot the flag"),
         "the customer impact", "@dave forgot",
         "The deployment pipeline has no test gate for this endpoint"),
        (_set("internal_impact", "Someone messed up the rollback"), "the internal impact",
         "Someone messed up", "The system allowed X without safeguard Y"),
        (_timeline("10:05 Bob forgot to scale the pool"), "the timeline", "Bob forgot",
         "The deployment pipeline has no test gate for this endpoint"),
        (_item("Done when the developer didn't skip review again"), "AI-2",
         "the developer didn't", "The system allowed X without safeguard Y"),
    ],
)
def test_blame_is_found_in_every_free_text_field(
    edit: Edit, where: str, offending: str, suggestion: str
) -> None:
    found = of("blame", findings(edit))
    assert [(f.offending, f.suggestion) for f in found] == [(offending, suggestion)]
    assert found[0].message.startswith(f"In {where}: “{offending}” points at a person.")
    assert suggestion in found[0].message
    # Still overridable with a recorded reason.
    assert not can_submit(found) and can_submit(found, "Quoting the customer's words")


@pytest.mark.parametrize(
    "edit",
    [
        _root("The deploy pipeline has no test gate for this endpoint"),
        _why("Monitoring should have caught it, but no alert existed"),
        _factor("The operator failed to reconcile the CRD"),
        _root("Known risk was not mitigated with a safeguard"),
    ],
)
def test_system_framing_is_not_blame(edit: Edit) -> None:
    assert of("blame", findings(edit)) == []


def _title(text: str, **kw: object) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.action_items[1].title = text
        for k, v in kw.items():
            setattr(r.action_items[1], k, v)
    return edit


@pytest.mark.parametrize(
    ("edit", "offending"),
    [
        (_title("Improve monitoring"), "Improve monitoring"),
        (_title("Better testing"), "Better testing"),
        (_title("Fix database performance"), "Fix database performance"),
        (_title("Investigate why the pool was exhausted"), "Investigate"),
        (_title("Add pool alert"), "Add pool alert"),
        (_title("Add alert for pool usage over 80%", success_criteria="done"), "done"),
        (_title("Add alert for pool usage over 80%", success_criteria=None), None),
    ],
)
def test_vague_action_items_warn(edit: Edit, offending: str | None) -> None:
    found = of("vague_action", findings(edit))
    assert [(f.level, f.offending) for f in found] == [("warning", offending)]
    assert "AI-2" in found[0].message


def test_specific_action_items_do_not_warn() -> None:
    edit = _title("Add index on emails.received_at and validate query under 500 ms P95")
    assert of("vague_action", findings(edit)) == []


def _owner(owner: str | None, title: str | None = None) -> Edit:
    def edit(r: PostmortemRecord) -> None:
        r.action_items[1].owner_id = owner
        if title:
            r.action_items[1].title = title
    return edit


@pytest.mark.parametrize(
    ("edit", "offending"),
    [
        (_owner(None), None),
        (_owner("DBA Team"), "DBA Team"),
        (_owner("@db-team"), "@db-team"),
        (_owner("U0BOB, U0DAVE"), "U0BOB, U0DAVE"),
        (_owner("U0BOB", "Add pool alert over 80% usage (owner: Platform Team)"),
         "owner: Platform Team"),
        (_owner("U0BOB", "Add pool alert over 80% usage for @db-team"), "@db-team"),
    ],
)
def test_action_items_need_a_single_owner(edit: Edit, offending: str | None) -> None:
    found = of("action_owner", findings(edit))
    assert [(f.level, f.offending) for f in found] == [("error", offending)]


def test_a_person_owner_is_fine() -> None:
    assert of("action_owner", findings(_owner("U0DAVE"))) == []
    assert of("action_owner", findings(_title("Update the team runbook for pool scaling"))) == []


@pytest.mark.parametrize("priority", ["P0", "P1", "P2"])
def test_urgent_action_items_need_a_due_date(priority: str) -> None:
    found = of("action_due_date", findings(_title(
        "Add alert for pool usage over 80%", priority=priority, due_on=None)))
    assert [f.level for f in found] == ["error"]


def test_backlog_is_fine_for_p3_and_finished_items() -> None:
    assert of("action_due_date", findings(_title("Add a backlog item here", priority="P3",
                                                  due_on=None))) == []
    assert of("action_due_date", findings(_title("Add a finished item here", due_on=None,
                                                  status="done"))) == []


def test_timeline_rule() -> None:
    def clear(r: PostmortemRecord) -> None:
        r.timeline = []
    assert [f.level for f in of("no_timeline", findings(clear))] == ["error"]
    assert of("no_timeline", findings()) == []


def test_detection_time_rule() -> None:
    def clear(r: PostmortemRecord) -> None:
        r.incident.detected_at = None
    assert [f.level for f in of("no_detection_time", findings(clear))] == ["warning"]
    assert of("no_detection_time", findings()) == []


def test_went_well_rule() -> None:
    def one(r: PostmortemRecord) -> None:
        r.learnings = [x for x in r.learnings if x.kind != "went_well"]
        r.learnings.append(learning("went_well", "Fast rollback"))
    assert [f.level for f in of("went_well", findings(one))] == ["warning"]
    assert of("went_well", findings()) == []


def test_five_whys_rule() -> None:
    def three(r: PostmortemRecord) -> None:
        r.whys = r.whys[:3]

    def three_no_root(r: PostmortemRecord) -> None:
        three(r)
        r.postmortem.root_cause = None

    assert [f.level for f in of("five_whys", findings(three))] == ["warning"]
    assert [f.level for f in of("five_whys", findings(three_no_root))] == ["error"]
    assert of("five_whys", findings()) == []

    def blank_answers(r: PostmortemRecord) -> None:
        r.whys = [*r.whys[:4], why(5, "Why?", "  ")]
    assert [f.level for f in of("five_whys", findings(blank_answers))] == ["warning"]


def test_late_rule() -> None:
    def draft(r: PostmortemRecord) -> None:
        r.postmortem.status = "draft"
    late = timedelta(days=3)
    assert [f.level for f in of("late", findings(draft, late))] == ["warning"]
    assert of("late", findings(draft)) == []
    assert of("late", findings(None, late)) == []  # already in review


def test_late_rule_falls_back_to_the_policy_deadline() -> None:
    def no_due(r: PostmortemRecord) -> None:
        r.postmortem.status = "draft"
        r.postmortem.due_at = None
        r.incident.resolved_at = NOW - timedelta(hours=49)
    assert [f.level for f in of("late", findings(no_due))] == ["warning"]


def test_no_action_items_rule() -> None:
    def clear(r: PostmortemRecord) -> None:
        r.action_items = []
    assert [f.level for f in of("no_action_items", findings(clear))] == ["error"]
    assert of("no_action_items", findings()) == []


def test_wont_do_items_are_not_checked() -> None:
    assert findings(_title("Improve monitoring", status="wont_do", owner_id=None)) == []


def test_levels_can_be_changed_or_turned_off() -> None:
    record = full_record()
    record.action_items.append(action(9, title="Improve monitoring", owner_id=None))
    found = check_quality(record, Policy(), NOW,
                          levels={"vague_action": "error", "action_owner": None})
    assert {f.rule for f in found} == {"vague_action"}
    assert all(f.level == "error" for f in found)


def test_blocking_and_override() -> None:
    def bad(r: PostmortemRecord) -> None:
        r.timeline = []
        r.incident.detected_at = None
    found = findings(bad)
    assert found[0].level == "error"  # errors come first
    assert [f.rule for f in blocking(found)] == ["no_timeline"]
    assert not can_submit(found)
    assert not can_submit(found, "   ")
    assert can_submit(found, "Timeline lives in the vendor's report, linked above")
    assert can_submit(findings())
