"""The review transitions against a real database: each change whole, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from flows import closing, intake, publishing
from flows.document import TemplateNotFound
from flows.errors import InvalidState, NotAllowed, PostmortemError
from flows.intake import ResolvedIncident
from flows.lifecycle import IncidentFacts
from flows.permissions import Actor
from flows.policy import Policy
from flows.publishing import Rendering
from storage.db import SessionFactory, make_engine, migrate, session_factory, session_scope
from storage.tables import (
    ActionItem,
    AuditEvent,
    Document,
    Postmortem,
    Reminder,
    ReviewDecision,
    TimelineEntry,
    Why,
)
from tests.storage.factories import add_postmortem

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = Policy(roles={"engineering_manager": "U0EM"})
NAMES = Rendering(people={"U0OWNER": "olga", "U0EM": "emil"})
OWNER, EM, IC = Actor("U0OWNER", "T1"), Actor("U0EM", "T1"), Actor("U0IC", "T1")


@pytest.fixture
def sessions(db_url: str) -> Iterator[SessionFactory]:
    """SQLite and PostgreSQL, migrated."""
    engine = make_engine(db_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def ready_postmortem(session: Session, *, complete: bool = True) -> int:
    """SEV2, due tomorrow, reviewed by the engineering manager and U0IC."""
    _, pm = add_postmortem(session, now=NOW, severity=2, team_id="T1", reviewers=["U0IC"],
                           due_at=NOW + timedelta(days=1), summary="Checkout failed.",
                           root_cause="No load test for connection-heavy changes." if complete
                           else None)
    assert pm.id is not None
    session.add(Reminder(dedupe_key=f"pm:{pm.id}:deadline:24h", kind="deadline",
                         postmortem_id=pm.id, target="U0OWNER", due_at=NOW + timedelta(hours=2)))
    if complete:
        for n in range(1, 6):
            session.add(Why(postmortem_id=pm.id, position=n, question=f"q{n}", answer=f"a{n}"))
        session.add(TimelineEntry(postmortem_id=pm.id, occurred_at=NOW, text="Deploy",
                                  created_at=NOW))
        session.add(ActionItem(postmortem_id=pm.id, number=1, owner_id="U0EM", priority="P2",
                               category="Detection", title="Alert on pool use over 80%",
                               success_criteria="Fires in staging", created_at=NOW,
                               updated_at=NOW, due_on=(NOW + timedelta(days=20)).date()))
    return pm.id


def submit(session: Session, pm_id: int, override: str | None = None) -> publishing.Submitted:
    return publishing.submit_for_review(session, pm_id=pm_id, actor=OWNER, policy=POLICY,
                                        override=override, rendering=NAMES, now=NOW)


def kinds(session: Session, pm_id: int) -> list[str]:
    stmt = select(AuditEvent).where(AuditEvent.postmortem_id == pm_id).order_by(AuditEvent.id)
    return [e.kind for e in session.exec(stmt).all()]


def test_submit_is_one_change_with_its_draft(sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        pm_id = ready_postmortem(session, complete=False)
    with pytest.raises(PostmortemError, match="block review"), session_scope(sessions) as s:
        submit(s, pm_id)
    with session_scope(sessions) as session:
        done = submit(session, pm_id, override="Comms first")
        assert [r.user_id for r in done.reviewers] == ["U0EM", "U0IC"] and done.overridden
    with session_scope(sessions) as session:
        pm = session.get(Postmortem, pm_id)
        docs = session.exec(select(Document)).all()
        assert (pm.status, pm.quality_override) == ("in_review", "Comms first")
        assert [d.version for d in docs] == ["0.1"] and "@olga" in docs[0].markdown
        assert kinds(session, pm_id) == ["submitted_for_review"]


def test_other_workspaces_and_non_editors_change_nothing(sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        pm_id = ready_postmortem(session)
    for actor in (Actor("U0OWNER", "T2"), Actor("U0DAN", "T1")):
        with pytest.raises(NotAllowed), session_scope(sessions) as session:
            publishing.submit_for_review(session, pm_id=pm_id, actor=actor, policy=POLICY,
                                         override=None, rendering=NAMES, now=NOW)
    with session_scope(sessions) as session:
        submit(session, pm_id)
    for actor in (Actor("U0EM", "T2"), Actor("U0DAN", "T1")):
        with pytest.raises(NotAllowed), session_scope(sessions) as session:
            publishing.approve(session, pm_id=pm_id, actor=actor, policy=POLICY,
                               rendering=NAMES, now=NOW)
    with session_scope(sessions) as session:
        assert session.exec(select(ReviewDecision)).all() == []
        assert kinds(session, pm_id) == ["submitted_for_review"]


def test_the_last_approval_publishes_in_the_same_change(sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        pm_id = ready_postmortem(session)
        submit(session, pm_id)
    with session_scope(sessions) as session:
        first = publishing.approve(session, pm_id=pm_id, actor=IC, policy=POLICY,
                                   rendering=NAMES, now=NOW)
        assert [r.user_id for r in first.waiting] == ["U0EM"] and first.published is None
    with pytest.raises(InvalidState, match="already approved"), session_scope(sessions) as s:
        publishing.approve(s, pm_id=pm_id, actor=IC, policy=POLICY, rendering=NAMES, now=NOW)
    with session_scope(sessions) as session:
        last = publishing.approve(session, pm_id=pm_id, actor=EM, policy=POLICY,
                                  rendering=NAMES, now=NOW)
        assert last.published is not None and last.published.version == "1.0"
    with session_scope(sessions) as session:
        pm = session.get(Postmortem, pm_id)
        reminders = {(r.kind, r.status) for r in session.exec(select(Reminder)).all()}
        assert (pm.status, pm.published_at) == ("published", NOW)
        assert kinds(session, pm_id) == ["submitted_for_review", "approved", "approved",
                                         "published"]
    assert ("deadline", "cancelled") in reminders and ("follow_up", "pending") in reminders


def test_a_document_that_cannot_be_rendered_leaves_the_approval_unsaved(
    sessions: SessionFactory,
) -> None:
    with session_scope(sessions) as session:
        pm_id = ready_postmortem(session)
        submit(session, pm_id)
        publishing.approve(session, pm_id=pm_id, actor=IC, policy=POLICY, rendering=NAMES,
                           now=NOW)
        session.get(Postmortem, pm_id).template = "gone"
    with pytest.raises(TemplateNotFound), session_scope(sessions) as session:
        publishing.approve(session, pm_id=pm_id, actor=EM, policy=POLICY, rendering=NAMES,
                           now=NOW)
    with session_scope(sessions) as session:
        assert session.get(Postmortem, pm_id).status == "in_review"
        assert len(session.exec(select(ReviewDecision)).all()) == 1


def test_request_changes_sends_it_back_and_close_when_done(sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        pm_id = ready_postmortem(session)
        submit(session, pm_id)
        publishing.request_changes(session, pm_id=pm_id, actor=EM, policy=POLICY,
                                   comment="  Name the pool size  ", now=NOW)
        assert session.get(Postmortem, pm_id).status == "draft"
        submit(session, pm_id)
        for actor in (IC, EM):
            publishing.approve(session, pm_id=pm_id, actor=actor, policy=POLICY,
                               rendering=NAMES, now=NOW)
        assert not closing.close_if_done(session, pm_id=pm_id, actor_id=None, now=NOW)
        session.exec(select(ActionItem)).one().status = "done"
        session.flush()
        # Every item is finished, but the day-30 question is still open.
        assert not closing.close_if_done(session, pm_id=pm_id, actor_id=None, now=NOW)
        day30 = next(r for r in session.exec(select(Reminder)).all()
                     if (r.payload or {}).get("scope") == "recurrence")
        day30.payload = {**day30.payload, "answer": {"recurred": False}}
        session.flush()
        assert closing.close_if_done(session, pm_id=pm_id, actor_id=None, now=NOW)
        pm = session.get(Postmortem, pm_id)
        assert (pm.status, pm.closed_at) == ("closed", NOW)
        follow_ups = {r.status for r in session.exec(select(Reminder)).all()
                      if r.kind == "follow_up"}
        assert follow_ups == {"cancelled"}
        comment = session.exec(select(ReviewDecision)).first().comment
        assert comment == "Name the pool size"


def incoming(**facts: object) -> ResolvedIncident:
    base = IncidentFacts(title="Cards double-charged", severity=3, services=["ledger"],
                         started_at=NOW - timedelta(minutes=30), resolved_at=NOW,
                         source="pagerduty", external_id="P1", channel_id="C0INC")
    return ResolvedIncident(facts=IncidentFacts(**{**base.__dict__, **facts}),
                            delivery_id="d1", label="PagerDuty",
                            mitigated_at=NOW - timedelta(minutes=10))


def test_an_offered_incident_opens_once_required_with_its_milestones(
    sessions: SessionFactory,
) -> None:
    with session_scope(sessions) as session:
        incident = intake.store_incident(session, incoming(), policy=POLICY, now=NOW)
        # Its own row does not make it a repeat of itself.
        assert intake.requirement_in(session, intake.facts_of(incident), policy=POLICY, now=NOW,
                                     exclude_id=incident.id)[0] is False
    with pytest.raises(NotAllowed), session_scope(sessions) as session:
        intake.open_from_offer(session, incident_id=incident.id, actor=Actor("U0B", "T9"),
                               team_id="T1", fallback_channel=None, policy=POLICY, now=NOW)
    with session_scope(sessions) as session:
        opened = intake.open_from_offer(session, incident_id=incident.id, actor=Actor("U0B", "T1"),
                                        team_id="T1", fallback_channel=None, policy=POLICY,
                                        now=NOW)
        assert opened.required and opened.postmortem.required
        assert opened.postmortem.channel_id == "C0INC" and opened.incident.id == incident.id
    with pytest.raises(InvalidState, match="already open"), session_scope(sessions) as session:
        intake.open_from_offer(session, incident_id=incident.id, actor=Actor("U0C", "T1"),
                               team_id="T1", fallback_channel=None, policy=POLICY, now=NOW)
    with session_scope(sessions) as session:
        entries = session.exec(select(TimelineEntry).order_by(TimelineEntry.occurred_at)).all()
        assert [e.text for e in entries] == [
            "Incident started (PagerDuty): Cards double-charged", "Mitigated (PagerDuty)",
            "Resolved in PagerDuty"]
        assert [e.summary for e in session.exec(select(AuditEvent)).all()] == [
            "started the post-mortem from the incident offer (SEV3: optional)"]
