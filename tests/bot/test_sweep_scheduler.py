"""The scheduler only ticks: one in-memory interval job, never overlapping, catching up once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from sqlmodel import select

from bot.deps import Deps
from bot.jobs.scheduler import SWEEP_JOB_ID, start_scheduler
from bot.settings import Settings
from flows.policy import Policy
from storage.db import make_engine, migrate, session_factory, session_scope
from storage.tables import Reminder

NOW = datetime(2025, 10, 22, 12, 0, tzinfo=UTC)


class _NoSlack:
    def chat_postMessage(self, **_: Any) -> dict[str, Any]:
        raise AssertionError("nothing is due")


def test_start_scheduler_runs_one_sweep_job_in_memory(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate(engine)
    deps = Deps(settings=Settings(announce_channel="C0ENG"), engine=engine,
                sessions=session_factory(engine), policy=Policy(), clock=lambda: NOW)
    scheduler = start_scheduler(deps, _NoSlack(), worker_id="host:1:abc")  # type: ignore[arg-type]
    try:
        (job,) = scheduler.get_jobs()
        assert job.id == SWEEP_JOB_ID
        assert (job.max_instances, job.coalesce) == (1, True)
        assert job.trigger.interval.total_seconds() == 60
        assert job.args[2] == "host:1:abc"
        assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()
    with session_scope(session_factory(engine)) as s:
        keys = [r.dedupe_key for r in s.exec(select(Reminder)).all()]
    assert keys == ["digest:C0ENG:2025-W44"]  # the weekly digest chain is started


def test_the_overdue_roll_up_chain_starts_when_the_policy_names_a_manager(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    migrate(engine)
    deps = Deps(settings=Settings(announce_channel="C0ENG"), engine=engine,
                sessions=session_factory(engine),
                policy=Policy(roles={"engineering_manager": "U0EM"}), clock=lambda: NOW)
    start_scheduler(deps, _NoSlack(), worker_id="host:1:abc").shutdown(  # type: ignore[arg-type]
        wait=True)
    with session_scope(session_factory(engine)) as s:
        keys = sorted(r.dedupe_key for r in s.exec(select(Reminder)).all())
    engine.dispose()
    assert keys == ["digest:C0ENG:2025-W44", "rollup:2025-W44"]
