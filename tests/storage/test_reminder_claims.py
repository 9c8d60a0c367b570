"""Claiming reminders on SQLite and PostgreSQL: cancel, catch up, lease expiry, 4 processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session, select

from bot.deps import Deps
from bot.jobs.sweep import run_sweep
from bot.settings import Settings
from flows.policy import Policy
from flows.reminders.nudge import plan_nudge
from flows.reminders.plan import Change, moot_kinds_on, plan_deadline, plan_follow_ups
from storage.db import make_engine, session_factory, session_scope
from storage.kinds import REFRESH
from storage.queries import claims
from storage.queries import reminders as store
from storage.tables import Incident, Postmortem, Reminder
from tests.conftest_pg import sqlite_file_url
from tests.storage.factories import add_postmortem

NOW = datetime(2025, 10, 20, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Any:
    return session_factory(engine)


def statuses(sessions: Any) -> dict[str, tuple[str, str | None]]:
    with session_scope(sessions) as s:
        return {r.dedupe_key: (r.status, r.last_error) for r in s.exec(select(Reminder)).all()}


def planned_pm(sessions: Any, due_at: datetime, planned_at: datetime = NOW) -> int:
    with session_scope(sessions) as s:
        incident, pm = add_postmortem(s, now=planned_at, due_at=due_at, reviewers=["U0REV"])
        store.add_reminders(s, plan_deadline(pm, incident, Policy(), planned_at))
        assert pm.id is not None
        return pm.id


def test_add_reminders_is_idempotent(sessions: Any) -> None:
    pm_id = planned_pm(sessions, NOW + timedelta(days=2))
    with session_scope(sessions) as s:
        pm = s.get(Postmortem, pm_id)
        assert pm is not None
        incident = s.get(Incident, pm.incident_id)
        assert incident is not None
        again = plan_deadline(pm, incident, Policy(), NOW)
        assert store.add_reminders(s, again) == 0
        assert store.add_reminders(s, [*again, plan_nudge("U1", "UTC", Policy(), NOW)]) == 1
    assert len(statuses(sessions)) == 5


def test_publish_cancels_deadline_reminders_in_the_same_transaction(sessions: Any) -> None:
    pm_id = planned_pm(sessions, NOW + timedelta(days=2))
    published_at = NOW + timedelta(hours=30)
    with session_scope(sessions) as s:
        pm = s.get(Postmortem, pm_id)
        assert pm is not None
        pm.status, pm.published_at = "published", published_at
        cancelled = store.cancel_reminders(
            s, pm_id=pm_id, kinds=moot_kinds_on(Change.PUBLISHED), now=published_at,
            reason="published",
        )
        store.add_reminders(s, plan_follow_ups(pm, Policy(), published_at, severity=1))
    assert cancelled == 4
    later = NOW + timedelta(days=60)
    with session_scope(sessions) as s:
        claimed = claims.claim_due_reminders(s, now=later, worker_id="w", lease=LEASE, limit=100)
    assert {r.kind for r in claimed} == {"follow_up"}
    assert statuses(sessions)[f"pm:{pm_id}:deadline:24h"][0] == "cancelled"


def test_catch_up_after_downtime_sends_one_per_postmortem_and_kind(sessions: Any) -> None:
    pm_a = planned_pm(sessions, NOW + timedelta(days=1))
    pm_b = planned_pm(sessions, NOW + timedelta(days=1))
    with session_scope(sessions) as s:
        store.add_reminders(s, [
            plan_nudge("U0OWNER", "UTC", Policy(), NOW + timedelta(days=7 * w)) for w in range(3)
        ])
    # Down for four weeks: every deadline, escalation and nudge row is due.
    back = NOW + timedelta(days=28)
    with session_scope(sessions) as s:
        # A small limit would split groups; the latest of each group must still win.
        claimed = claims.claim_due_reminders(s, now=back, worker_id="w", lease=LEASE, limit=2)
    with session_scope(sessions) as s:
        claimed += claims.claim_due_reminders(s, now=back, worker_id="w", lease=LEASE, limit=100)
    keys = sorted(r.dedupe_key for r in claimed)
    assert keys == sorted([
        f"pm:{pm_a}:deadline:4h", f"pm:{pm_a}:escalation:2",
        f"pm:{pm_b}:deadline:4h", f"pm:{pm_b}:escalation:2",
        "nudge:U0OWNER:2025-W46",
    ])
    rows = statuses(sessions)
    superseded = [k for k, (st, err) in rows.items() if st == "cancelled"]
    assert len(superseded) == 2 * 2 + 2
    assert all((rows[k][1] or "").startswith("superseded by #") for k in superseded)
    with session_scope(sessions) as s:
        assert claims.claim_due_reminders(s, now=back, worker_id="w", lease=LEASE, limit=100) == []


def test_lease_expiry_lets_another_sweep_reclaim(sessions: Any) -> None:
    planned_pm(sessions, NOW + timedelta(hours=1))
    with session_scope(sessions) as s:
        dead = claims.claim_due_reminders(s, now=NOW, worker_id="dead", lease=LEASE, limit=10)
    assert [r.dedupe_key.split(":", 2)[2] for r in dead] == ["deadline:4h"]
    # The claiming process is killed here. Within its lease nobody else touches the row …
    with session_scope(sessions) as s:
        soon = NOW + timedelta(minutes=4)
        assert claims.claim_due_reminders(s, now=soon, worker_id="b", lease=LEASE, limit=10) == []
    # … after it, another sweep takes it over, and the dead worker's late mark is refused.
    later = NOW + timedelta(minutes=6)
    with session_scope(sessions) as s:
        again = claims.claim_due_reminders(s, now=later, worker_id="b", lease=LEASE, limit=10)
    assert [r.id for r in again] == [r.id for r in dead]
    assert again[0].claimed_by == "b" and again[0].lease_until == later + LEASE
    rid = again[0].id
    assert rid is not None
    with session_scope(sessions) as s:
        assert not claims.mark_sent(s, reminder_id=rid, worker_id="dead", now=later)
        assert claims.mark_sent(s, reminder_id=rid, worker_id="b", now=later)
    with session_scope(sessions) as s:
        row = s.get(Reminder, rid)
        assert row is not None and row.status == "sent" and row.sent_at == later


def test_an_unsure_row_remembers_its_first_claim_until_it_is_settled(sessions: Any) -> None:
    """`sent_at` of an unsure row: since when a send may be in Slack, kept across retries
    (which move `due_at` past it) and dropped once a failure proves nothing went out."""
    planned_pm(sessions, NOW + timedelta(hours=4))

    def claim(at: datetime) -> Reminder:
        with session_scope(sessions) as s:
            rows = claims.claim_due_reminders(s, now=at, worker_id="w", lease=LEASE, limit=1)
        assert len(rows) == 1 and rows[0].id is not None
        return rows[0]

    def fail(row: Reminder, at: datetime, *, unsure: bool) -> Reminder:
        assert row.id is not None
        with session_scope(sessions) as s:
            assert claims.mark_failed(s, reminder_id=row.id, worker_id="w", now=at, error="x",
                                      unsure=unsure)
            fresh = s.get(Reminder, row.id)
            assert fresh is not None
            return fresh

    first = claim(NOW)
    assert fail(first, NOW, unsure=True).sent_at == NOW  # the connection dropped
    retry = claim(NOW + timedelta(minutes=1))
    assert retry.unsure and retry.sent_at == NOW  # what the lookup starts from
    moved = fail(retry, NOW + timedelta(minutes=1), unsure=True)  # the lookup failed
    assert moved.due_at > NOW + timedelta(minutes=1) and moved.sent_at == NOW
    # Slack refused the next post after finding nothing: no earlier send to look for.
    refused = fail(claim(moved.due_at), moved.due_at, unsure=False)
    assert refused.sent_at is None and not refused.unsure
    assert claim(refused.due_at).sent_at is None  # not unsure before this claim


def test_failures_back_off_and_are_never_dropped(sessions: Any) -> None:
    planned_pm(sessions, NOW + timedelta(days=1))
    at = NOW
    gaps = []
    for attempt in range(1, 12):
        with session_scope(sessions) as s:
            (row,) = claims.claim_due_reminders(s, now=at, worker_id="w", lease=LEASE, limit=1)
            assert row.id is not None
            claims.mark_failed(s, reminder_id=row.id, worker_id="w", now=at,
                               error=f"slack: boom {attempt}")
        with session_scope(sessions) as s:
            fresh = s.get(Reminder, row.id)
            assert fresh is not None
            assert (fresh.status, fresh.attempts) == ("pending", attempt)
            assert fresh.last_error == f"slack: boom {attempt}"
            gaps.append(fresh.due_at - at)
            at = fresh.due_at
    assert gaps[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert gaps[-1] == timedelta(hours=1)


def test_retry_after_is_honoured_when_longer_than_backoff(sessions: Any) -> None:
    planned_pm(sessions, NOW + timedelta(hours=1))
    with session_scope(sessions) as s:
        (row,) = claims.claim_due_reminders(s, now=NOW, worker_id="w", lease=LEASE, limit=1)
        assert row.id is not None
        claims.mark_failed(s, reminder_id=row.id, worker_id="w", now=NOW,
                           error="slack: ratelimited", retry_at=NOW + timedelta(minutes=30))
        fresh = s.get(Reminder, row.id)
        assert fresh is not None and fresh.due_at == NOW + timedelta(minutes=30)


def test_moving_the_deadline_moves_pending_and_rearms_sent_reminders(sessions: Any) -> None:
    pm_id = planned_pm(sessions, NOW + timedelta(hours=20))
    with session_scope(sessions) as s:  # the 24 h reminder goes out at once (late start)
        (row,) = claims.claim_due_reminders(s, now=NOW, worker_id="w", lease=LEASE, limit=5)
        assert row.id is not None
        claims.mark_sent(s, reminder_id=row.id, worker_id="w", now=NOW)
    new_due = NOW + timedelta(days=5)
    with session_scope(sessions) as s:
        pm = s.get(Postmortem, pm_id)
        assert pm is not None
        incident = s.get(Incident, pm.incident_id)
        assert incident is not None
        pm.due_at = new_due
        store.move_reminders(s, pm_id=pm_id, rows=plan_deadline(pm, incident, Policy(), NOW),
                             now=NOW)
    with session_scope(sessions) as s:
        rows = {r.dedupe_key.split(":", 2)[2]: r for r in s.exec(select(Reminder)).all()}
    assert rows["deadline:24h"].status == "pending"
    assert rows["deadline:24h"].due_at == new_due - timedelta(hours=24)
    assert rows["deadline:4h"].due_at == new_due - timedelta(hours=4)
    assert rows["escalation:2"].due_at == new_due + timedelta(hours=24)


def test_claim_query_uses_the_status_due_index(tmp_path: Path) -> None:
    # Plan shape checked on SQLite; bench/sweep.py shows the same flat cost on PostgreSQL.
    engine = make_engine(sqlite_file_url(tmp_path))
    with Session(engine) as s:
        stmt = select(Reminder).where(claims._due(NOW)).order_by(Reminder.due_at).limit(10)  # type: ignore[arg-type]
        compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
        plan = s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
    engine.dispose()
    assert any("ix_reminder_due" in str(row) for row in plan), plan


# ---- four processes, one database ----------------------------------------------------------

SWEEPERS = 4
DUE = 2000


class _RecordingClient:
    """Stands in for Slack: every post is a row in sent_log (no uniqueness, so doubles show)."""

    def __init__(self, engine: Engine, worker: str) -> None:
        self.engine, self.worker = engine, worker

    def chat_postMessage(self, *, channel: str, **_: Any) -> dict[str, Any]:
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO sent_log (channel, worker) VALUES (:c, :w)"),
                         {"c": channel, "w": self.worker})
        return {"ok": True}


def _sweeper(url: str, worker: str, start: Any) -> None:
    engine = make_engine(url)
    deps = Deps(settings=Settings(), engine=engine, sessions=session_factory(engine),
                policy=Policy(), clock=lambda: NOW)
    client = _RecordingClient(engine, worker)
    start.wait()
    idle = 0
    while idle < 3:
        report = run_sweep(deps, client, now=NOW, worker_id=worker, limit=25,  # type: ignore[arg-type]
                           sleep=lambda _s: None)
        idle = 0 if report.sent or report.failed else idle + 1
    engine.dispose()


def _fill(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE sent_log (channel VARCHAR(64) NOT NULL, "
                          "worker VARCHAR(64) NOT NULL)"))
        conn.execute(insert(Incident.__table__), [  # type: ignore[attr-defined]
            {"id": i, "reference": f"INC-{i}", "title": f"t{i}", "severity": 1, "services": [],
             "source": "slack", "created_at": NOW} for i in range(1, n + 1)
        ])
        conn.execute(insert(Postmortem.__table__), [  # type: ignore[attr-defined]
            {"id": i, "incident_id": i, "status": "draft", "required": True,
             "owner_id": f"U{i:05d}", "reviewers": [], "attendees": [],
             "due_at": NOW + timedelta(hours=2), "created_at": NOW, "updated_at": NOW,
             "version": 0} for i in range(1, n + 1)
        ])
        conn.execute(insert(Reminder.__table__), [  # type: ignore[attr-defined]
            {"dedupe_key": f"pm:{i}:deadline:4h", "kind": "deadline", "postmortem_id": i,
             "target": f"U{i:05d}", "due_at": NOW - timedelta(seconds=i % 600),
             "status": "pending", "attempts": 0, "payload": {}} for i in range(1, n + 1)
        ])
        if engine.dialect.name == "postgresql":
            for table in ("incident", "postmortem"):
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})"
                ))


def test_four_processes_send_each_reminder_exactly_once(db_url: str) -> None:
    engine = make_engine(db_url)
    _fill(engine, DUE)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_sweeper, args=(db_url, f"w{i}", start)) for i in range(SWEEPERS)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * SWEEPERS
    with engine.connect() as conn:
        doubles = conn.execute(text(
            "SELECT channel, COUNT(*) FROM sent_log GROUP BY channel HAVING COUNT(*) > 1"
        )).all()
        sent = conn.execute(text("SELECT COUNT(DISTINCT channel) FROM sent_log")).scalar_one()
        by_worker = dict(conn.execute(text(
            "SELECT worker, COUNT(*) FROM sent_log GROUP BY worker"
        )).all())
        left = conn.execute(text(
            "SELECT COUNT(*) FROM reminder WHERE status <> 'sent'"
        )).scalar_one()
    engine.dispose()
    assert doubles == []
    assert sent == DUE
    assert left == 0
    assert sum(by_worker.values()) == DUE
    assert len(by_worker) > 1, by_worker  # the work really was shared


def redraws(sessions: Any, pm_id: int, versions: range) -> list[int]:
    with session_scope(sessions) as s:
        return store.insert_reminders(s, [
            Reminder(dedupe_key=f"refresh:{pm_id}:{v}", kind=REFRESH, postmortem_id=pm_id,
                     due_at=NOW) for v in versions])


def claim_ids(sessions: Any, ids: list[int], worker: str = "w1") -> list[int]:
    with session_scope(sessions) as s:
        return [r.id or 0 for r in claims.claim_reminders(s, ids=ids, now=NOW, worker_id=worker,
                                                          lease=LEASE)]


def test_a_redraw_that_a_newer_one_covers_is_cancelled_not_sent(sessions: Any) -> None:
    """Three edits in a burst: the first two changes' redraws are covered by the third's,
    whether it is still waiting, being sent, or sent."""
    pm_id = planned_pm(sessions, NOW + timedelta(days=2))
    first, second, third = redraws(sessions, pm_id, range(1, 4))
    assert claim_ids(sessions, [first]) == []  # the newest is still waiting
    assert claim_ids(sessions, [third], "w2") == [third]
    assert claim_ids(sessions, [second]) == []  # the newest is being sent
    found = statuses(sessions)
    assert found[f"refresh:{pm_id}:1"] == ("cancelled", f"superseded by #{third}")
    assert found[f"refresh:{pm_id}:2"] == ("cancelled", f"superseded by #{third}")
    assert found[f"refresh:{pm_id}:3"][0] == "claimed"


def test_another_post_mortems_redraw_covers_nothing(sessions: Any) -> None:
    mine = planned_pm(sessions, NOW + timedelta(days=2))
    other = planned_pm(sessions, NOW + timedelta(days=3))
    [old] = redraws(sessions, mine, range(1, 2))
    redraws(sessions, other, range(1, 3))
    assert claim_ids(sessions, [old]) == [old]
