"""Review rules: who signs off, versions, closing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.errors import NotAllowed, PostmortemError
from flows.policy import Policy
from flows.review import (
    APPROVED,
    decide,
    next_version,
    pending_reviewers,
    required_reviewers,
    should_close,
)
from flows.whys import next_question
from storage.record import PostmortemRecord
from storage.tables import (
    ActionItem,
    AuditEvent,
    Document,
    Incident,
    Postmortem,
    ReviewDecision,
    Why,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def record(severity: int = 1, status: str = "in_review", **pm: object) -> PostmortemRecord:
    incident = Incident(
        id=1, reference="INC-1", title="DB outage", severity=severity, created_at=NOW
    )
    postmortem = Postmortem(
        id=7, incident_id=1, owner_id="U0A", status=status, created_at=NOW, updated_at=NOW, **pm
    )
    events = [AuditEvent(postmortem_id=7, at=NOW, kind="submitted_for_review", summary="")]
    return PostmortemRecord(incident=incident, postmortem=postmortem, events=events)


def test_sev1_needs_commander_and_engineering_manager() -> None:
    policy = Policy(roles={"engineering_manager": "U0EM"})
    people = required_reviewers(record(commander_id="U0IC", reviewers=["U0R"]), policy)
    assert [(r.user_id, r.role) for r in people] == [
        ("U0IC", "incident_commander"),
        ("U0EM", "engineering_manager"),
        ("U0R", "reviewer"),
    ]


def test_missing_role_is_explained() -> None:
    with pytest.raises(PostmortemError, match="Engineering manager"):
        required_reviewers(record(commander_id="U0IC"), Policy())


def test_only_reviewers_decide_and_rounds_count() -> None:
    rec = record(severity=3, reviewers=["U0R", "U0S"])
    people = required_reviewers(rec, Policy())
    with pytest.raises(NotAllowed):
        decide(rec, people, user_id="U0X", decision=APPROVED, comment=None, now=NOW)
    rec.decisions.append(
        decide(rec, people, user_id="U0R", decision=APPROVED, comment=None, now=NOW)
    )
    assert [r.user_id for r in pending_reviewers(rec, people)] == ["U0S"]
    # A new round (after changes were requested) needs every approval again.
    rec.events.append(AuditEvent(postmortem_id=7, at=NOW, kind="submitted_for_review", summary=""))
    assert [r.user_id for r in pending_reviewers(rec, people)] == ["U0R", "U0S"]
    assert isinstance(rec.decisions[0], ReviewDecision)


def test_versions() -> None:
    rec = record()
    assert next_version(rec, final=False) == "0.1"
    rec.documents.append(
        Document(
            postmortem_id=7, version="0.1", template="t", markdown="", change="", created_at=NOW
        )
    )
    assert next_version(rec, final=False) == "0.2"
    assert next_version(rec, final=True) == "1.0"


def test_closes_when_every_item_is_done_or_wont_do() -> None:
    rec = record(status="published")
    item = ActionItem(
        postmortem_id=7, number=1, title="x", status="done", created_at=NOW, updated_at=NOW
    )
    rec.action_items = [
        item,
        ActionItem(
            postmortem_id=7, number=2, title="y", status="wont_do", created_at=NOW, updated_at=NOW
        ),
    ]
    assert should_close(rec)
    item.status = "in_progress"
    assert not should_close(rec)


def test_each_answer_becomes_the_next_why_quoted_word_for_word() -> None:
    assert next_question("API down", []) == "Why did this happen: “API down”?"
    whys = [Why(postmortem_id=7, position=1, question="q", answer="The pool was exhausted.")]
    assert next_question("API down", whys) == "Why did this happen: “The pool was exhausted”?"
    # Never grammar synthesised from the answer.
    answer = "The database connection pool was exhausted"
    whys = [Why(postmortem_id=7, position=1, question="q", answer=answer)]
    assert next_question("x", whys) != "Why the database connection pool was exhausted?"
    assert next_question("", []) == "Why did this happen?"
