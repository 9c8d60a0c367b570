"""Stored names of Slack people and channels: upserts, workspace fallback, both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import make_engine, session_factory, session_scope
from storage.queries.names import channel_names, person_names, remember_channel, remember_person

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_names_are_kept_and_the_latest_wins(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    try:
        with session_scope(sessions) as s:
            remember_person(s, team_id="T1", user_id="U0ALICE", display_name="alice", now=NOW)
            remember_channel(s, team_id="T1", channel_id="C0INC", name="#inc-old", now=NOW)
        with session_scope(sessions) as s:
            later = NOW + timedelta(hours=1)
            remember_person(s, team_id="T1", user_id="U0ALICE", display_name=" Alice B ",
                            now=later)
            remember_channel(s, team_id="T1", channel_id="C0INC", name="inc-checkout", now=later)
            remember_person(s, team_id=None, user_id="U0BOB", display_name="bob", now=later)
            remember_person(s, team_id="T1", user_id="U0EMPTY", display_name="  ", now=later)
        with session_scope(sessions) as s:
            people = person_names(s, team_id="T1", user_ids=["U0ALICE", "U0BOB", "U0EMPTY", ""])
            channels = channel_names(s, team_id="T1", channel_ids={"C0INC", "C0NONE"})
        # Bob was resolved without a workspace: still found, from any workspace.
        assert people == {"U0ALICE": "Alice B", "U0BOB": "bob"}
        assert channels == {"C0INC": "inc-checkout"}
    finally:
        engine.dispose()


def test_this_workspaces_name_beats_another_workspaces(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    try:
        with session_scope(sessions) as s:
            remember_person(s, team_id="T1", user_id="U0X", display_name="x-in-t1", now=NOW)
            remember_person(s, team_id="T2", user_id="U0X", display_name="x-in-t2",
                            now=NOW + timedelta(days=1))
        with session_scope(sessions) as s:
            assert person_names(s, team_id="T1", user_ids=["U0X"]) == {"U0X": "x-in-t1"}
            assert person_names(s, team_id="T3", user_ids=["U0X"]) == {"U0X": "x-in-t2"}
    finally:
        engine.dispose()
