"""The queries behind the section modals, on SQLite and PostgreSQL: a row of another
post-mortem is never found, a message lands on a timeline once without spoiling the
transaction, and `/postmortem list` sees its own workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.db import make_engine, session_factory, session_scope
from storage.errors import NotFound
from storage.kinds import CLOSED
from storage.queries import parts, postmortems
from storage.queries.plain_parts import PlainPart
from storage.record import timeline_columns
from storage.tables import (
    ActionItem,
    AuditEvent,
    ComplianceTick,
    ContributingFactor,
    Document,
    Learning,
    Reference,
    ReviewDecision,
    TimelineEntry,
    Why,
)
from tests.storage.factories import add_postmortem

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def entry(pm_id: int, key: str | None, text: str = "Rolled back") -> TimelineEntry:
    return TimelineEntry(postmortem_id=pm_id, occurred_at=NOW, text=text, message_key=key,
                         created_at=NOW)


def test_a_part_of_another_postmortem_is_not_found(engine: Engine) -> None:
    with session_scope(session_factory(engine)) as session:
        _, pm = add_postmortem(session, now=NOW)
        _, other = add_postmortem(session, now=NOW)
        assert pm.id and other.id
        [learning] = parts.add_parts(session, [Learning(
            postmortem_id=pm.id, kind="lucky", text="Quiet hour", created_at=NOW)])
        assert learning.id is not None
        found = parts.get_part(session, Learning, pm_id=pm.id, part_id=learning.id,
                               missing="gone")
        assert found.text == "Quiet hour"
        with pytest.raises(NotFound, match="gone"):
            parts.get_part(session, Learning, pm_id=other.id, part_id=learning.id,
                           missing="gone")


def test_a_message_lands_on_a_timeline_once_and_the_transaction_goes_on(
    engine: Engine,
) -> None:
    with session_scope(session_factory(engine)) as session:
        _, pm = add_postmortem(session, now=NOW)
        assert pm.id is not None
        assert parts.add_unless_present(session, entry(pm.id, "C1:1.0"))
        assert not parts.add_unless_present(session, entry(pm.id, "C1:1.0", "Pinned twice"))
        # The refused insert left the rest of the unit intact.
        assert parts.add_unless_present(session, entry(pm.id, None, "Typed by hand"))
        assert parts.has_message(session, pm_id=pm.id, message_key="C1:1.0")
        assert not parts.has_message(session, pm_id=pm.id, message_key="C1:2.0")
    with Session(engine) as session:
        texts = sorted(e.text for e in session.exec(select(TimelineEntry)).all())
    assert texts == ["Rolled back", "Typed by hand"]


def test_open_postmortems_of_a_workspace_nearest_deadline_first(engine: Engine) -> None:
    with session_scope(session_factory(engine)) as session:
        later = add_postmortem(session, now=NOW, team_id="T1", due_at=NOW + timedelta(days=2))
        sooner = add_postmortem(session, now=NOW, team_id=None, due_at=NOW + timedelta(days=1))
        add_postmortem(session, now=NOW, team_id="T2", due_at=NOW)
        add_postmortem(session, now=NOW, team_id="T1", due_at=NOW, status=CLOSED)
        wanted = [sooner[1].id, later[1].id]
    with session_scope(session_factory(engine)) as session:
        rows = postmortems.open_postmortems(session, team_id="T1", limit=20)
        assert [pm.id for pm, _ in rows] == wanted
        assert postmortems.find_incident_by_reference(
            session, reference=rows[0][1].reference) is not None


def test_the_record_reads_its_timeline_in_time_order_with_aware_utc_times(
    engine: Engine,
) -> None:
    sessions = session_factory(engine)
    with session_scope(sessions) as session:
        _, pm = add_postmortem(session, now=NOW)
        _, empty = add_postmortem(session, now=NOW)
        assert pm.id and empty.id
        later = entry(pm.id, None, "Rolled back")
        later.occurred_at = NOW + timedelta(minutes=5)
        later.link = "https://example.com/deploy"
        earlier = entry(pm.id, "C1:1.0", "Paged")
        earlier.actor, earlier.source, earlier.milestone = "U0ALICE", "message", "detected"
        session.add_all([later, earlier])
    with session_scope(sessions) as session:
        record = postmortems.load_record(session, pm_id=pm.id)
        assert postmortems.load_record(session, pm_id=empty.id).timeline == []
    assert [(e.text, e.occurred_at, e.actor, e.source, e.link, e.milestone)
            for e in record.timeline] == [
        ("Paged", NOW, "U0ALICE", "message", None, "detected"),
        ("Rolled back", NOW + timedelta(minutes=5), None, "manual", "https://example.com/deploy",
         None),
    ]
    assert all(e.occurred_at.utcoffset() == timedelta(0) for e in record.timeline)
    assert all(isinstance(e.id, int) for e in record.timeline)
    # The columns the document reads are the entries' fields, entry by entry.
    columns = timeline_columns(record.timeline)
    assert [tuple(e) for e in record.timeline] == list(zip(*columns, strict=True))
    assert columns.text == ["Paged", "Rolled back"]


def test_the_record_reads_its_parts_as_plain_rows_and_versions_without_their_text(
    engine: Engine,
) -> None:
    sessions = session_factory(engine)
    with session_scope(sessions) as session:
        _, pm = add_postmortem(session, now=NOW)
        _, other = add_postmortem(session, now=NOW)
        assert pm.id and other.id
        session.add_all([
            Learning(postmortem_id=pm.id, kind="went_well", text="Paged fast", created_at=NOW),
            ContributingFactor(postmortem_id=pm.id, text="Spike", category="Code",
                               severity="High"),
            ReviewDecision(postmortem_id=pm.id, reviewer_id="U0CAROL", decision="approved",
                           decided_at=NOW),
            AuditEvent(postmortem_id=pm.id, at=NOW, kind="submitted", summary="Submitted",
                       detail={"round": 2}),
            Document(postmortem_id=pm.id, version="1.0", template="lean", markdown="# Text",
                     change="Published", created_at=NOW),
        ])
    with session_scope(sessions) as session:
        record = postmortems.load_record(session, pm_id=pm.id)
        [document] = record.documents
        stored = postmortems.get_document(session, pm_id=pm.id, document_id=document.id)
        with pytest.raises(NotFound):
            postmortems.get_document(session, pm_id=other.id, document_id=document.id)
    assert [(x.kind, x.text, x.created_at) for x in record.learnings] == [
        ("went_well", "Paged fast", NOW)]
    assert [(f.text, f.severity) for f in record.factors] == [("Spike", "High")]
    assert [(d.decision, d.round, d.decided_at) for d in record.decisions] == [
        ("approved", 1, NOW)]
    assert [(e.kind, e.detail, e.at) for e in record.events] == [
        ("submitted", {"round": 2}, NOW)]
    assert (document.version, document.created_at) == ("1.0", NOW)
    assert not hasattr(document, "markdown") and stored.markdown == "# Text"


def test_the_parts_read_on_the_driver_are_what_sqlalchemy_reads(engine: Engine) -> None:
    # storage/queries/plain_parts.py converts the driver's values with the columns' own
    # processors: dates, aware UTC times, JSON, NULLs come out as SQLAlchemy's result gives.
    sessions = session_factory(engine)
    with session_scope(sessions) as session:
        _, pm = add_postmortem(session, now=NOW)
        assert pm.id
        session.add_all([
            Why(postmortem_id=pm.id, position=1, question="Why?", answer="Because"),
            ActionItem(postmortem_id=pm.id, number=1, title="Alert", due_on=date(2026, 12, 1),
                       created_at=NOW, updated_at=NOW, done_at=NOW, status="done"),
            ActionItem(postmortem_id=pm.id, number=2, title="Runbook", created_at=NOW,
                       updated_at=NOW),
            Reference(postmortem_id=pm.id, kind="logs", label="Logs", url="https://x",
                      created_at=NOW),
            ComplianceTick(postmortem_id=pm.id, item="arb_shared", ticked_by="U0CAROL",
                           ticked_at=NOW),
            AuditEvent(postmortem_id=pm.id, at=NOW, kind="submitted", summary="Submitted",
                       detail={"round": 2, "names": ["a"]}),
            Document(postmortem_id=pm.id, version="0.1", template="lean", markdown="# Text",
                     change="Draft", created_at=NOW),
            entry(pm.id, None, "Paged"),
        ])
    parts = [value for value in vars(postmortems).values() if isinstance(value, PlainPart)]
    assert len(parts) == 10  # the nine small parts and the timeline
    with session_scope(sessions) as session:
        conn = session.connection()
        for part in parts:
            expected = [tuple(row) for row in conn.execute(part.statement, {"pm_id": pm.id})]
            rows = part.rows(conn, pm.id)
            assert [tuple(row) for row in rows] == expected, part.row
            assert all(type(row) is part.row for row in rows)
        items = postmortems.load_record(session, pm_id=pm.id).action_items
    assert [(a.due_on, a.done_at) for a in items] == [(date(2026, 12, 1), NOW), (None, None)]
    assert items[0].created_at.utcoffset() == timedelta(0)
