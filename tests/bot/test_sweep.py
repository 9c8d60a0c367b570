"""run_sweep against the Slack emulator: DMs, escalation, nudges, 429s, errors, dry run."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlmodel import select

from bot.deps import Deps
from bot.jobs.sweep import ChannelPacer, ensure_rollup, run_sweep
from bot.settings import Settings
from bot.slack.ids import Action
from bot.slack.reminders.views import parse_follow_up_value
from flows.policy import Policy, Team
from flows.reminders.nudge import ensure_nudges, plan_nudge
from flows.reminders.plan import plan_deadline, plan_digest, plan_follow_ups
from flows.reminders.rollup import plan_manager_rows
from slack_emulator.server import SlackEmulator
from storage.db import make_engine, migrate, session_factory, session_scope
from storage.queries import reminders as store
from storage.tables import Postmortem, Reminder
from tests.storage.factories import add_item, add_postmortem

NOW = datetime(2025, 10, 27, 9, 0, tzinfo=UTC)  # a Monday
ANNOUNCE = "C0ANNOUNCE"


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackEmulator]:
    # The SDK's 429 handler sleeps Retry-After + jitter with time.sleep: no wall-clock waits.
    naps: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", types.SimpleNamespace(sleep=naps.append))
    with SlackEmulator(post_burst=3, clock=lambda: 0.0) as emulator:
        for user, tz in (("U0OWNER", "Europe/Berlin"), ("U0OTHER", "UTC"), ("U0FAC", "UTC"),
                         ("U0REV", "UTC")):
            emulator.add_user(user, user.lower(), tz=tz)
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> WebClient:
    return WebClient(token=emu.bot_token, base_url=emu.api_url,
                     retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])


@pytest.fixture
def deps(tmp_path: Path) -> Iterator[Deps]:
    engine = make_engine(f"sqlite:///{tmp_path / 'sweep.db'}")
    migrate(engine)
    yield Deps(settings=Settings(announce_channel=ANNOUNCE), engine=engine,
               sessions=session_factory(engine), policy=Policy(), clock=lambda: NOW)
    engine.dispose()


def sweep(deps: Deps, client: WebClient, **kw: Any) -> Any:
    naps: list[float] = []
    report = run_sweep(deps, client, now=kw.pop("now", NOW), worker_id="test",
                       sleep=naps.append, **kw)
    report.naps = naps
    return report


def rows(deps: Deps) -> dict[str, Reminder]:
    with session_scope(deps.sessions) as s:
        return {r.dedupe_key: r for r in s.exec(select(Reminder)).all()}


def deadline_pm(deps: Deps, due_at: datetime, **pm: Any) -> int:
    with session_scope(deps.sessions) as s:
        incident, postmortem = add_postmortem(s, now=NOW - timedelta(days=2), due_at=due_at, **pm)
        store.add_reminders(s, plan_deadline(postmortem, incident, deps.policy, NOW))
        assert postmortem.id is not None
        return postmortem.id


def posts(emu: SlackEmulator) -> list[dict[str, Any]]:
    return [c.args for c in emu.calls_to("chat.postMessage") if c.ok]


def blocks_of(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def test_deadline_reminder_is_a_dm_to_the_owner_with_the_thread_link(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    control = client.chat_postMessage(channel="C0INC", text="control message")
    pm_id = deadline_pm(deps, NOW + timedelta(hours=3), channel_id="C0INC",
                        message_ts=control["ts"])
    report = sweep(deps, client)
    assert [e.kind for e in report.sent] == ["deadline"]
    dm = posts(emu)[-1]
    assert dm["channel"] == "U0OWNER"
    assert "3 h 00 min left" in json.dumps(blocks_of(dm))
    assert "emulator.slack.com/archives/C0INC" in json.dumps(blocks_of(dm))
    assert rows(deps)[f"pm:{pm_id}:deadline:4h"].status == "sent"
    assert sweep(deps, client).sent == []  # exactly once


def test_stage_one_escalation_mentions_facilitator_and_reviewers_in_the_thread(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    control = client.chat_postMessage(channel="C0INC", text="control message")
    deadline_pm(deps, NOW - timedelta(minutes=30), channel_id="C0INC", message_ts=control["ts"],
                facilitator_id="U0FAC", reviewers=["U0REV"])
    report = sweep(deps, client)
    assert [(e.kind, e.target) for e in report.sent] == [("escalation", "C0INC")]
    reply = posts(emu)[-1]
    assert reply["thread_ts"] == control["ts"]
    assert "<@U0FAC> <@U0REV>" in json.dumps(blocks_of(reply))


def test_stage_two_goes_to_the_announce_channel_paced_per_channel(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    for _ in range(3):
        deadline_pm(deps, NOW - timedelta(hours=25))
    clock = [0.0]
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        clock[0] += seconds

    def tick() -> float:
        clock[0] += 0.01  # each call: a little real work
        return clock[0]

    report = run_sweep(deps, client, now=NOW, worker_id="t", sleep=nap, monotonic=tick)
    assert [e.target for e in report.sent] == [ANNOUNCE] * 3
    assert len(naps) == 2 and all(0.9 < n < 1.0 for n in naps)


def test_pacer_waits_only_for_the_same_channel() -> None:
    clock = [0.0]
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        clock[0] += seconds

    pacer = ChannelPacer(sleep=nap, monotonic=lambda: clock[0])
    for channel in ("C1", "C2", "C1", "C1"):
        pacer.wait(channel)
    assert naps == [1.0, 1.0]


def test_published_postmortem_makes_its_deadline_reminder_moot(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    pm_id = deadline_pm(deps, NOW + timedelta(hours=3))
    with session_scope(deps.sessions) as s:  # published by a path that forgot to cancel
        pm = s.get(Postmortem, pm_id)
        assert pm is not None
        pm.status = "published"
    report = sweep(deps, client)
    assert report.sent == [] and "published" in report.skipped[0].detail
    assert posts(emu) == []
    assert rows(deps)[f"pm:{pm_id}:deadline:4h"].status == "cancelled"


def test_rate_limits_are_retried(deps: Deps, client: WebClient, emu: SlackEmulator) -> None:
    deadline_pm(deps, NOW + timedelta(hours=3))
    emu.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=0)
    report = sweep(deps, client)
    assert len(report.sent) == 1 and report.failed == []
    statuses = [c.status for c in emu.calls_to("chat.postMessage", include_errors=True)]
    assert statuses == [429, 200]


def test_slack_error_leaves_the_row_pending_with_last_error(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    pm_id = deadline_pm(deps, NOW + timedelta(hours=3))
    emu.fail_next("chat.postMessage", "channel_not_found")
    report = sweep(deps, client)
    assert report.sent == [] and report.failed[0].detail == "slack: channel_not_found"
    row = rows(deps)[f"pm:{pm_id}:deadline:4h"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1,
                                                          "slack: channel_not_found")
    assert row.due_at == NOW + timedelta(minutes=1)
    assert sweep(deps, client).sent == []  # not before the backoff
    later = sweep(deps, client, now=NOW + timedelta(minutes=1))
    assert len(later.sent) == 1
    assert rows(deps)[f"pm:{pm_id}:deadline:4h"].status == "sent"


def test_weekly_nudge_lists_every_open_item_per_owner_overdue_first(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    with session_scope(deps.sessions) as s:
        _, pm_a = add_postmortem(s, now=NOW, title="Checkout 500s")
        _, pm_b = add_postmortem(s, now=NOW, title="Queue backlog")
        add_item(s, pm_a, number=1, owner_id="U0OWNER", now=NOW, due_on=date(2025, 11, 20),
                 title="Add pool metrics")
        late = add_item(s, pm_b, number=1, owner_id="U0OWNER", now=NOW,
                        due_on=date(2025, 10, 1), title="Alert on backlog")
        add_item(s, pm_b, number=2, owner_id="U0OWNER", now=NOW, status="done",
                 title="Already done")
        add_item(s, pm_b, number=3, owner_id="U0OTHER", now=NOW, title="Someone else's")
        for owner, tz in (("U0OWNER", "Europe/Berlin"), ("U0OTHER", "UTC")):
            assert ensure_nudges(s, owner_id=owner, owner_tz=tz, policy=deps.policy,
                                       now=NOW - timedelta(days=1))
    report = sweep(deps, client, now=NOW + timedelta(hours=1))
    assert sorted(e.target for e in report.sent) == ["U0OTHER", "U0OWNER"]
    dms = {p["channel"]: blocks_of(p) for p in posts(emu)}
    owner = json.dumps(dms["U0OWNER"])
    assert "Alert on backlog" in owner and "Add pool metrics" in owner
    assert owner.index("Alert on backlog") < owner.index("Add pool metrics")  # overdue first
    assert "Already done" not in owner and "Someone else" not in owner
    buttons = [e for b in dms["U0OWNER"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["action_id"] for b in buttons} == {a.value for a in Action
                                                if a.value.startswith("ai.nudge.")}
    assert buttons[0]["value"] == str(late.id)
    # The next week's nudge is planned because items are still open.
    assert rows(deps)["nudge:U0OWNER:2025-W45"].status == "pending"


def test_nudges_stop_when_nothing_is_open(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    with session_scope(deps.sessions) as s:
        store.add_reminders(s, [plan_nudge("U0OWNER", "UTC", deps.policy, NOW - timedelta(1))])
    report = sweep(deps, client)
    assert report.sent == [] and report.skipped[0].detail.startswith("no open action items")
    assert [k for k in rows(deps) if k.startswith("nudge:")] == ["nudge:U0OWNER:2025-W44"]


def test_digest_counts_items_due_this_week(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    with session_scope(deps.sessions) as s:
        _, pm = add_postmortem(s, now=NOW)
        for n, day in enumerate((27, 29, 31), start=1):
            add_item(s, pm, number=n, owner_id="U0OWNER", now=NOW, due_on=date(2025, 10, day))
        add_item(s, pm, number=4, owner_id="U0OWNER", now=NOW, due_on=date(2025, 11, 20))
        store.add_reminders(s, [plan_digest(ANNOUNCE, deps.policy, NOW - timedelta(days=1))])
    report = sweep(deps, client)
    assert [e.kind for e in report.sent] == ["digest"]
    assert posts(emu)[-1]["text"] == "3 post-mortem action items due this week"
    assert f"digest:{ANNOUNCE}:2025-W45" in rows(deps)


def test_recurrence_check_in_asks_with_buttons(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    published = NOW - timedelta(days=30)
    with session_scope(deps.sessions) as s:
        _, pm = add_postmortem(s, now=published, status="published", published_at=published,
                               severity=1)
        store.add_reminders(s, plan_follow_ups(pm, deps.policy, published, severity=1))
        pm_id = pm.id
    report = sweep(deps, client)
    # day10 and week2 were missed (no open items anyway); day30 asks its question.
    assert [e.kind for e in report.sent] == ["follow_up"]
    buttons = [e for b in blocks_of(posts(emu)[-1]) if b["type"] == "actions"
               for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["pm.followup.recurred",
                                                "pm.followup.no_recurrence"]
    value_pm, reminder_id = parse_follow_up_value(buttons[0]["value"])
    assert value_pm == pm_id
    assert rows(deps)[f"pm:{pm_id}:follow_up:day30"].id == reminder_id


def test_dry_run_claims_nothing(deps: Deps, client: WebClient, emu: SlackEmulator) -> None:
    pm_id = deadline_pm(deps, NOW + timedelta(hours=3))
    report = sweep(deps, client, dry_run=True)
    assert report.dry_run and [e.target for e in report.sent] == ["U0OWNER"]
    assert report.lines()[0].startswith("would send 1")
    assert posts(emu) == []
    assert rows(deps)[f"pm:{pm_id}:deadline:4h"].status == "pending"


def with_policy(deps: Deps, **policy: Any) -> Deps:
    return replace(deps, policy=replace(deps.policy, **policy))


ROLES = {"engineering_manager": "U0EM", "vp_engineering": "U0VP"}


def test_with_nobody_named_the_escalation_dms_the_policys_roles(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    deps = with_policy(deps, roles=ROLES)
    control = client.chat_postMessage(channel="C0INC", text="control message")
    deadline_pm(deps, NOW - timedelta(minutes=30), channel_id="C0INC", message_ts=control["ts"],
                facilitator_id=None, reviewers=[])
    report = sweep(deps, client)
    assert sorted((e.kind, e.target) for e in report.sent) == [("escalation", "U0EM"),
                                                               ("escalation", "U0VP")]
    dm = posts(emu)[-1]
    assert dm["text"].startswith("Post-mortem for INC-") and "past its deadline" in dm["text"]
    assert "emulator.slack.com/archives/C0INC" in json.dumps(blocks_of(dm))
    assert sweep(deps, client).sent == []  # exactly once


def test_a_sev1_with_p2_items_gets_its_one_month_check_in(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    published = NOW - timedelta(days=30, minutes=5)
    with session_scope(deps.sessions) as s:
        _, pm = add_postmortem(s, now=published, status="published", published_at=published,
                               severity=1)
        add_item(s, pm, number=1, owner_id="U0OTHER", now=published, priority="P1")
        add_item(s, pm, number=2, owner_id="U0OTHER", now=published, priority="P2")
        store.add_reminders(s, plan_follow_ups(pm, deps.policy, published, severity=1,
                                               priorities=["P1", "P2"]))
        pm_id = pm.id
    assert f"pm:{pm_id}:follow_up:month1" in rows(deps)
    report = sweep(deps, client)
    sent = {rows(deps)[k].payload["key"] for k in rows(deps) if rows(deps)[k].status == "sent"}
    assert sent == {"month1", "day30"}  # day10 and week2 collapsed into the latest check-in
    assert [e.target for e in report.sent] == ["U0OWNER", "U0OWNER"]
    assert any(p["text"].startswith("Day-30 check-in") and "AI-2" in json.dumps(blocks_of(p))
               for p in posts(emu))


def test_overdue_items_roll_up_to_the_owners_manager_once_a_week(
    deps: Deps, client: WebClient, emu: SlackEmulator
) -> None:
    emu.add_user("U0EM", "em", tz="UTC")
    emu.add_user("U0PAYEM", "payem", tz="UTC")
    deps = with_policy(deps, roles=ROLES, teams={"pay": Team("U0PAYEM", ("U0OTHER",))})
    today = NOW.date()
    with session_scope(deps.sessions) as s:
        _, pm = add_postmortem(s, now=NOW - timedelta(days=40), channel_id="C0INC")
        add_item(s, pm, number=1, owner_id="U0OWNER", now=NOW, due_on=today - timedelta(days=9),
                 title="Alert on pool *saturation*")
        add_item(s, pm, number=2, owner_id="U0OWNER", now=NOW, due_on=today - timedelta(days=3))
        add_item(s, pm, number=3, owner_id="U0OTHER", now=NOW, due_on=today - timedelta(days=7))
        add_item(s, pm, number=4, owner_id="U0OTHER", now=NOW, due_on=today - timedelta(days=30),
                 status="done")
        add_item(s, pm, number=5, owner_id="U0EM", now=NOW, due_on=today - timedelta(days=20))
    ensure_rollup(deps, NOW - timedelta(hours=1))  # the round is due Monday 09:00: now
    ensure_rollup(deps, NOW - timedelta(hours=1))
    first = sweep(deps, client)
    assert [e.detail for e in first.skipped] == ["rolled up to 2 manager(s)"]
    report = sweep(deps, client, now=NOW + timedelta(minutes=1))
    assert sorted(e.target for e in report.sent) == ["U0EM", "U0PAYEM"]
    dms = {p["channel"]: p for p in posts(emu)}
    em = json.dumps(blocks_of(dms["U0EM"]))
    assert dms["U0EM"]["text"] == ("1 post-mortem action item of your reports is overdue by "
                                   "7 days or more")
    assert "AI-1 Alert on pool *saturation*>" in em and "*9 days overdue*" in em
    assert "<@U0OWNER>" in em and "AI-2" not in em  # 3 days is not yet a manager's business
    assert "AI-5" not in em  # the manager's own item is in their own nudge
    assert "app_redirect?channel=C0INC" in em
    payem = json.dumps(blocks_of(dms["U0PAYEM"]))
    assert "AI-3" in payem and "AI-4" not in payem and "AI-1" not in payem
    # Exactly once: the round again the same week plans nothing new; next week's is planned.
    with session_scope(deps.sessions) as s:
        store.add_reminders(s, plan_manager_rows(s, deps.policy, NOW + timedelta(hours=2)))
    assert sweep(deps, client, now=NOW + timedelta(hours=3)).sent == []
    keys = [k for k in rows(deps) if k.startswith("rollup:")]
    assert sorted(keys) == ["rollup:2025-W44", "rollup:2025-W45", "rollup::U0EM:2025-W44",
                            "rollup::U0PAYEM:2025-W44"]
    assert rows(deps)["rollup:2025-W45"].due_at == NOW + timedelta(days=7)
