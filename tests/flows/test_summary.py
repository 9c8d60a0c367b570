"""The draft summary reads as correct English for every combination of present fields."""

from __future__ import annotations

import itertools
import re

import pytest

from flows.summary import draft_summary, summary_text
from tests.flows.factories import START, empty_record

# Values chosen to break naive splicing: a title that is a sentence, a past-tense
# mitigation, a lower-case root cause, a customer impact that already ends a sentence.
VALUES = {
    "title": "Checkout API returned 500s",
    "services": ["payment-api", "postgres"],
    "start": START,
    "impact": 31,
    "users": "~4,800 customers (18% of checkout traffic)",
    "customer": "Checkout showed 'Service unavailable'.",
    "root": "release process lacks a capacity review",
    "mitigation": "rolled back payment-api",
    "fix": "PgBouncer in front of postgres with per-service budgets",
}
FIELDS = list(VALUES)
COMBINATIONS = [
    frozenset(combo)
    for n in range(len(FIELDS) + 1)
    for combo in itertools.combinations(FIELDS, n)
]
# Machine prose the old summary produced; none of it may come back.
BANNED = ("experienced", "mitigated by", "fixed by", "The root cause was", "affecting",
          "None", "{", "}", "..", " .", " ,", "  ", ":.", ": .", ",.")


def record_with(present: frozenset[str]):  # type: ignore[no-untyped-def]
    record = empty_record()
    inc, pm = record.incident, record.postmortem
    inc.title = VALUES["title"] if "title" in present else ""
    inc.services = list(VALUES["services"]) if "services" in present else []  # type: ignore[arg-type]
    inc.started_at = VALUES["start"] if "start" in present else None  # type: ignore[assignment]
    pm.impact_minutes = VALUES["impact"] if "impact" in present else None  # type: ignore[assignment]
    pm.users_affected = VALUES["users"] if "users" in present else None  # type: ignore[assignment]
    pm.customer_impact = VALUES["customer"] if "customer" in present else None  # type: ignore[assignment]
    pm.root_cause = VALUES["root"] if "root" in present else None  # type: ignore[assignment]
    pm.mitigation = VALUES["mitigation"] if "mitigation" in present else None  # type: ignore[assignment]
    pm.permanent_fix = VALUES["fix"] if "fix" in present else None  # type: ignore[assignment]
    return record


def first_sentence(present: frozenset[str]) -> str:
    when = "On 2026-03-14 at 09:00 UTC, an" if "start" in present else "An"
    what = "incident affected payment-api and postgres" if "services" in present else (
        "incident occurred")
    head = f"{when} {what}"
    return f"{head}: Checkout API returned 500s." if "title" in present else f"{head}."


def test_every_combination_is_tried() -> None:
    assert len(COMBINATIONS) == 2 ** len(FIELDS) == 512


@pytest.mark.parametrize("present", COMBINATIONS, ids=lambda p: "+".join(sorted(p)) or "none")
def test_draft_reads_as_english(present: frozenset[str]) -> None:
    text = draft_summary(record_with(present)).text
    assert text.startswith(first_sentence(present))
    assert text.endswith((".", "!", "?"))
    for banned in BANNED:
        assert banned not in text
    # Every sentence starts with a capital: labels are capitalised, free text follows a colon.
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        assert sentence[:1].isupper(), sentence
    # Each value the author typed appears exactly once and as typed; absent ones leave no label.
    labels = {"users": "Users affected: ", "customer": "Customer impact: ",
              "root": "Root cause: ", "mitigation": "Mitigation: ", "fix": "Permanent fix: "}
    for key, label in labels.items():
        value = VALUES[key]
        assert isinstance(value, str)
        if key in present:
            assert text.count(label + value) == 1
        else:
            assert label not in text
    assert ("User impact lasted 31 min." in text) == ("impact" in present)


def test_full_draft_word_for_word() -> None:
    assert draft_summary(record_with(frozenset(FIELDS))).text == (
        "On 2026-03-14 at 09:00 UTC, an incident affected payment-api and postgres: Checkout "
        "API returned 500s. User impact lasted 31 min. Users affected: ~4,800 customers (18% "
        "of checkout traffic). Customer impact: Checkout showed 'Service unavailable'. Root "
        "cause: release process lacks a capacity review. Mitigation: rolled back payment-api. "
        "Permanent fix: PgBouncer in front of postgres with per-service budgets."
    )


def test_parts_and_time_zone() -> None:
    record = record_with(frozenset(FIELDS))
    record.incident.services = ["a", "b", "c"]
    draft = draft_summary(record, "Europe/Berlin")
    assert draft.incident == (
        "On 2026-03-14 at 10:00 CET, an incident affected a, b and c: Checkout API returned 500s."
    )
    assert draft.cause == "Root cause: release process lacks a capacity review."
    assert draft.resolution.startswith("Mitigation: rolled back payment-api. Permanent fix:")


def test_titles_and_texts_keep_their_own_final_punctuation() -> None:
    record = record_with(frozenset({"title", "root"}))
    record.incident.title = "Why is search slow?"
    record.postmortem.root_cause = "Nobody owns the index!\n\n  (Really.)"
    text = draft_summary(record).text
    assert text == "An incident occurred: Why is search slow? Root cause: Nobody owns the " \
        "index! (Really.)"


def test_the_authors_summary_leads() -> None:
    record = record_with(frozenset(FIELDS))
    record.postmortem.summary = "  Our own words.  "
    assert summary_text(record) == "Our own words."
    record.postmortem.summary = None
    assert summary_text(record) == draft_summary(record).text


def test_the_draft_fits_a_modal_field() -> None:
    record = record_with(frozenset(FIELDS))
    record.postmortem.permanent_fix = "x" * 2990
    draft = draft_summary(record)
    assert len(draft.text) > 3000
    fitted = draft.fitted()
    assert len(fitted) <= 3000 and fitted == " ".join([draft.incident, draft.impact, draft.cause])
    record.incident.title = "y" * 4000
    assert len(draft_summary(record).fitted()) == 3000
    assert draft_summary(record).fitted().endswith("…")
