"""The control message's checklist: the common parts, plus what the template's seed requires."""

from __future__ import annotations

from flows.checklist import checklist
from tests.flows.factories import empty_record, full_record

COMMON = ["details", "summary", "timeline", "whys", "impact", "went_well", "went_poorly",
          "action_items"]


def keys(template: str) -> list[str]:
    return [s.key for s in checklist(empty_record(), template)]


def test_each_template_asks_for_what_its_seed_has() -> None:
    assert set(keys("lean")) == set(COMMON)
    assert set(keys("enterprise")) - set(COMMON) == {"lucky", "compliance"}
    assert set(keys("bilko")) - set(COMMON) == {"root_cause_identified", "finance", "lessons",
                                                "meeting"}
    assert set(keys("tz010")) - set(COMMON) == {"alert", "references", "distribution"}
    assert set(keys("comprehensive")) - set(COMMON) == {
        "alert", "lessons", "supporting_data", "references", "communication", "distribution",
        "meeting", "review_cadence"}
    assert set(keys("our-own-template")) == set(COMMON)


def test_the_postmortems_own_template_is_the_default() -> None:
    record = empty_record()
    record.postmortem.template = "enterprise"
    assert "compliance" in [s.key for s in checklist(record)]
    record.postmortem.template = None
    assert "supporting_data" in [s.key for s in checklist(record)]


def test_a_full_record_is_done_but_for_the_unticked_arb_item() -> None:
    for template in ("comprehensive", "tz010", "bilko", "lean", "enterprise"):
        missing = [s.key for s in checklist(full_record(), template) if not s.done]
        assert missing == (["compliance"] if template == "enterprise" else []), template
    compliance = next(s for s in checklist(full_record(), "enterprise") if s.key == "compliance")
    assert compliance.hint == "2/3 ticked"


def test_an_empty_record_says_what_is_missing() -> None:
    sections = checklist(empty_record(), "bilko")
    assert not any(s.done for s in sections)
    finance = next(s for s in sections if s.key == "finance")
    assert finance.label == "Financial questions" and "NUMERIC(19,4)" in finance.hint


def test_a_marked_timeline_entry_counts_as_the_milestone() -> None:
    record = full_record()
    record.incident.identified_at = None
    done = {s.key: s.done for s in checklist(record, "bilko")}
    assert done["root_cause_identified"]  # the timeline entry at 10:05 is marked
    for e in record.timeline:
        e.milestone = None
    done = {s.key: s.done for s in checklist(record, "bilko")}
    assert not done["root_cause_identified"]
