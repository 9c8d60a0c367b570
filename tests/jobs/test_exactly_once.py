"""Exactly once, not at least once (issue 9, finding 8): a sweep killed between Slack's accepting
a post and the commit that records it, and a connection dropped after Slack accepted a post,
neither lose a message nor send one twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.deps import Deps, build_deps
from bot.jobs.sweep import run_sweep
from bot.settings import Settings
from bot.slack.client import make_client
from bot.slack.delivery import deliver_now
from bot.slack.outbox import post
from flows.lifecycle import IncidentFacts, create_postmortem
from flows.policy import Policy
from slack_emulator import SlackEmulator
from storage.db import make_engine, migrate, session_scope
from storage.tables import Reminder

REPO = Path(__file__).resolve().parents[2]
OWNERS = ["U0ANN", "U0BEN", "U0CAT"]
RESOLVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# The 24 h and 4 h reminders before a 48-hour deadline are both due by then; after downtime
# only the later one is sent (one per post-mortem).
SWEEP_AT = RESOLVED + timedelta(hours=45)


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        for user in OWNERS:
            emulator.add_user(user, user.lower())
        emulator.add_channel("C0ENG", "engineering", members=OWNERS)
        yield emulator


def deps_for(emu: SlackEmulator, url: str) -> Deps:
    settings = Settings(slack_bot_token=emu.bot_token, slack_signing_secret="s",
                        slack_api_url=emu.api_url, database_url=url,
                        announce_channel="#engineering")
    engine = make_engine(url)
    migrate(engine)
    return build_deps(settings, clock=lambda: SWEEP_AT, engine=engine,
                      client=make_client(emu.bot_token, emu.api_url))


def open_postmortems(deps: Deps) -> None:
    with session_scope(deps.sessions) as session:
        for n, owner in enumerate(OWNERS):
            facts = IncidentFacts(title=f"Outage {n}", severity=1, resolved_at=RESOLVED,
                                  started_at=RESOLVED - timedelta(hours=1))
            create_postmortem(session, facts, owner_id=owner, policy=Policy(),
                              now=RESOLVED + timedelta(minutes=5))


def dms(emu: SlackEmulator, user: str) -> list[dict[str, object]]:
    return [m for m in emu.messages(user) if m.get("user") == emu.bot_user_id]


def sweep_process(emu: SlackEmulator, url: str, at: datetime) -> subprocess.Popen[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
           "DATABASE_URL": url, "SLACK_BOT_TOKEN": emu.bot_token,
           "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": emu.api_url}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "sweep", "--at", at.isoformat()],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_sweep_killed_between_send_and_commit_sends_nothing_twice(
    emu: SlackEmulator, database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (f"sqlite:///{tmp_path / 'outbox.db'}" if database == "sqlite"
           else str(request.getfixturevalue("pg_clean_url")))
    deps = deps_for(emu, url)
    open_postmortems(deps)
    at = SWEEP_AT
    for _kill in range(len(OWNERS)):
        # Slack takes the post; the sweep dies before it hears back, so before its commit.
        with emu.hold_responses("chat.postMessage") as held:
            process = sweep_process(emu, url, at)
            held.wait(count=1, timeout=30)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        # The next sweep runs once the dead one's lease has run out.
        at += timedelta(minutes=11)
    report = run_sweep(deps, now=at + timedelta(minutes=11), worker_id="survivor")
    assert report.failed == []
    for owner in OWNERS:
        assert len(dms(emu, owner)) == 1, (owner, dms(emu, owner))
    with session_scope(deps.sessions) as session:
        rows = session.exec(select(Reminder).where(Reminder.kind == "deadline")).all()
        live = [r for r in rows if r.status in ("pending", "claimed")]
        assert live == [], [(r.dedupe_key, r.status) for r in live]
        sent = [r for r in rows if r.status == "sent"]
        assert len(sent) == len(OWNERS) and all(r.slack_ts for r in sent)
    deps.engine.dispose()


def test_a_connection_dropped_after_slack_took_the_post_is_not_posted_again(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    deps = deps_for(emu, f"sqlite:///{tmp_path / 'outbox.db'}")
    open_postmortems(deps)
    emu.drop_connection_after("chat.postMessage", count=len(OWNERS))
    first = run_sweep(deps, now=SWEEP_AT, worker_id="first")
    assert len(first.failed) == len(OWNERS) and first.sent == []
    # Every post reached Slack although the sweep never heard back.
    assert all(len(dms(emu, owner)) == 1 for owner in OWNERS)
    again = run_sweep(deps, now=SWEEP_AT + timedelta(minutes=5), worker_id="second")
    assert len(again.sent) == len(OWNERS) and again.failed == []
    for owner in OWNERS:
        assert len(dms(emu, owner)) == 1
    posts = emu.calls_to("chat.postMessage", include_errors=True)
    assert len(posts) == len(OWNERS)  # looked up in history, never posted a second time
    deps.engine.dispose()


def test_an_announcement_whose_connection_dropped_is_delivered_once_by_the_sweep(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    deps = deps_for(emu, f"sqlite:///{tmp_path / 'outbox.db'}")
    with session_scope(deps.sessions) as session:
        ids = [i for n in range(13) for i in post(
            session, channel="#engineering", message={"text": f"Post-mortem published #{n}"},
            now=SWEEP_AT)]
    emu.drop_connection_after("chat.postMessage", count=13)
    report = deliver_now(deps, ids)
    assert len(report.failed) == 13
    run_sweep(deps, now=SWEEP_AT + timedelta(minutes=5), worker_id="sweep")
    texts = [m["text"] for m in emu.messages("#engineering")]
    assert sorted(texts) == sorted(f"Post-mortem published #{n}" for n in range(13))
    deps.engine.dispose()


def test_slacks_own_refusal_is_retried_without_looking(emu: SlackEmulator, tmp_path: Path) -> None:
    """A 429 or an error answer proves the post did not happen: no history lookup needed."""
    deps = deps_for(emu, f"sqlite:///{tmp_path / 'outbox.db'}")
    with session_scope(deps.sessions) as session:
        ids = post(session, channel="#engineering", message={"text": "hello"}, now=SWEEP_AT)
    emu.rate_limit_every(1, retry_after=3, methods="chat.postMessage")
    assert len(deliver_now(deps, ids).failed) == 1
    emu.stop_rate_limiting()
    run_sweep(deps, now=SWEEP_AT + timedelta(seconds=3), worker_id="sweep")
    assert [m["text"] for m in emu.messages("#engineering")] == ["hello"]
    assert emu.calls_to("conversations.history") == []
    deps.engine.dispose()
