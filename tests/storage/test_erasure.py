"""forget-user on SQLite and PostgreSQL: whole ids and whole names only, JSON values too, the
person's own rows gone, and an audit event on each post-mortem touched."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from storage.db import make_engine, migrate
from storage.erasure import FORGOTTEN, TOMBSTONE_ID, TOMBSTONE_NAME, forget_user
from storage.tables import AuditEvent, Postmortem, TimelineEntry
from storage.workspace_tables import HomeTab, Person
from tests.storage.factories import add_postmortem

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_forget_user_replaces_whole_ids_and_names(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    migrate(engine)
    with Session(engine) as session:
        _, pm = add_postmortem(session, now=NOW, owner_id="U0AL", reviewers=["U0AL", "U0ALICE"],
                               summary="<@U0AL> and Bob rolled back; bobsled unaffected.")
        _, other = add_postmortem(session, now=NOW, owner_id="U0ALICE")
        assert pm.id is not None and other.id is not None
        session.add(TimelineEntry(postmortem_id=pm.id, occurred_at=NOW, text="paged bob",
                                  actor="bob", created_by="U0AL", created_at=NOW))
        session.add(Person(team_id="T1", user_id="U0AL", display_name="bob", updated_at=NOW))
        session.add(HomeTab(team_id="T1", user_id="U0AL", state={}, opened_at=NOW))
        session.add(AuditEvent(postmortem_id=pm.id, actor_id="U0AL", at=NOW, kind="x",
                               summary="edited", detail={"by": "U0AL", "names": ["bob"]}))
        session.commit()
        pm_id, other_id = pm.id, other.id

    with engine.begin() as conn:
        done = forget_user(conn, user_id="U0AL", now=NOW)
    assert done.postmortems == {pm_id} and done.deleted == 2

    with Session(engine) as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        assert pm.owner_id == TOMBSTONE_ID and pm.reviewers == [TOMBSTONE_ID, "U0ALICE"]
        assert pm.summary == (f"<@{TOMBSTONE_ID}> and {TOMBSTONE_NAME} rolled back; "
                              "bobsled unaffected.")
        entry = session.exec(select(TimelineEntry)).one()
        assert (entry.actor, entry.text, entry.created_by) == (
            TOMBSTONE_NAME, f"paged {TOMBSTONE_NAME}", TOMBSTONE_ID)
        events = session.exec(select(AuditEvent).where(AuditEvent.postmortem_id == pm_id)
                              .order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        assert events[0].detail == {"by": TOMBSTONE_ID, "names": [TOMBSTONE_NAME]}
        assert events[-1].kind == FORGOTTEN and "U0AL" not in str(events[-1].detail)
        assert session.exec(select(Person)).all() == []
        assert session.exec(select(HomeTab)).all() == []
        untouched = session.get(Postmortem, other_id)
        assert untouched is not None and untouched.owner_id == "U0ALICE"
    engine.dispose()
