"""/metrics, /readyz and request ids, seen over HTTP as Prometheus and a load balancer see them."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot.deps import client_for
from bot.observability.health import check_readiness, schema_heads
from bot.observability.logs import configure_logging
from storage.db import make_engine, migrate
from storage.tables import Reminder
from tests.bot.test_start import start_values
from tests.conftest_pg import create_database, drop_database
from tests.fakes import webhooks as wh
from tests.fakes.bot import send_generic, webhook_bot
from tests.harness import FakeClock, Harness, running_bot
from tests.observability.helpers import delta, http, scrape, value
from tests.storage.factories import add_postmortem


@pytest.fixture
def served(db_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[Harness]:
    """The bot over HTTP on a fresh SQLite file and on PostgreSQL."""
    with running_bot(db_url, clock, tmp_path) as harness:
        yield harness


def test_requests_are_counted_by_route_method_and_status(bot: Harness) -> None:
    before = scrape(bot.url)
    for _ in range(2):
        assert http(bot.url + "/healthz").status == 200
    assert http(bot.url + "/no/such/page?x=1").status == 404
    assert http(bot.url + "/healthz", method="POST", body=b"").status == 404
    assert http(bot.url + "/slack/events").status == 405
    after = scrape(bot.url)

    def counted(route: str, method: str, status: str) -> float:
        return delta(before, after, "http_requests_total", route=route, method=method,
                     status=status)

    assert counted("/healthz", "GET", "200") == 2
    assert counted("other", "GET", "404") == 1  # unknown paths share one series
    assert counted("/healthz", "POST", "404") == 1
    assert counted("/slack/events", "GET", "405") == 1
    assert counted("/metrics", "GET", "200") == 1  # the first scrape, seen by the second
    assert delta(before, after, "http_request_duration_seconds_count", route="/healthz") == 3


def test_slack_calls_errors_and_acks_are_counted_per_method_and_listener(bot: Harness) -> None:
    before = scrape(bot.url)
    opens_before = len(bot.emu.calls_to("views.open", include_errors=True))
    posts_before = len(bot.emu.calls_to("chat.postMessage", include_errors=True))
    view = bot.open_modal("U0ALICE", "start Checkout API returned 500s")
    assert bot.slack.view_submission("U0ALICE", view, start_values()).status == 200
    bot.settle()
    posts = len(bot.emu.calls_to("chat.postMessage", include_errors=True)) - posts_before
    # The production client (bot/deps.py) against the emulator, refused by "Slack".
    bot.emu.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError):
        client_for(bot.deps.settings).chat_postMessage(channel="C0GONE", text="hello")
    after = scrape(bot.url)

    opens = len(bot.emu.calls_to("views.open", include_errors=True)) - opens_before
    assert opens == 1
    assert delta(before, after, "slack_api_calls_total", method="views.open") == opens
    assert posts >= 1  # the control message
    assert delta(before, after, "slack_api_calls_total", method="chat.postMessage") == posts + 1
    assert delta(before, after, "slack_api_errors_total", method="chat.postMessage",
                 error="channel_not_found") == 1
    assert delta(before, after, "slack_api_errors_total", method="views.open",
                 error="channel_not_found") == 0
    for listener in ("slash_command", "view_submission"):
        assert delta(before, after, "slack_ack_seconds_count", listener=listener) == 1
        assert delta(before, after, "slack_ack_seconds_bucket", listener=listener,
                     le="+Inf") == 1
    assert 0 < delta(before, after, "slack_ack_seconds_sum", listener="slash_command") < 3


def test_a_call_retried_after_a_429_counts_once(bot: Harness) -> None:
    before = scrape(bot.url)
    # A read is retried after a short 429 (posts never are: bot/slack/client.py).
    bot.emu.fail_next("users.info", "ratelimited", status=429, retry_after=0)
    client_for(bot.deps.settings).users_info(user="U0ALICE")
    after = scrape(bot.url)
    attempts = bot.emu.calls_to("users.info", include_errors=True)
    assert [c.response.get("ok") for c in attempts[-2:]] == [False, True]
    assert delta(before, after, "slack_api_calls_total", method="users.info") == 1
    assert delta(before, after, "slack_api_errors_total", method="users.info",
                 error="ratelimited") == 0


def test_webhook_calls_through_the_bots_client_are_counted(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with webhook_bot(sqlite_url, clock, tmp_path) as hooks:
        before = scrape(hooks.bot.url)
        posts_before = len(hooks.bot.emu.calls_to("chat.postMessage", include_errors=True))
        assert send_generic(hooks, wh.generic_incident()).status == 201
        after = scrape(hooks.bot.url)
        posts = len(hooks.bot.emu.calls_to("chat.postMessage", include_errors=True))
    assert posts > posts_before
    assert delta(before, after, "slack_api_calls_total", method="chat.postMessage") == (
        posts - posts_before)
    assert delta(before, after, "http_requests_total", route="/webhooks/incident",
                 method="POST", status="201") == 1


def test_postmortems_and_reminders_by_status_come_from_the_database(served: Harness) -> None:
    now = served.clock.now
    with served.session() as session:
        for status in ("draft", "draft", "in_review", "published"):
            _, pm = add_postmortem(session, now=now, status=status)
        for n, status in enumerate(["pending", "pending", "pending", "sent", "failed"]):
            session.add(Reminder(dedupe_key=f"r{n}", kind="deadline", postmortem_id=pm.id,
                                 due_at=now + timedelta(hours=n), status=status))
        session.commit()
    samples = scrape(served.url)
    assert value(samples, "database_up") == 1
    assert {s: value(samples, "postmortems", status=s)
            for s in ("draft", "in_review", "published", "closed")} == {
        "draft": 2, "in_review": 1, "published": 1, "closed": 0}
    assert {s: value(samples, "reminders", status=s)
            for s in ("pending", "claimed", "sent", "failed", "cancelled")} == {
        "pending": 3, "claimed": 0, "sent": 1, "failed": 1, "cancelled": 0}

    # Counted at scrape time: a change in the database shows on the next scrape.
    with served.deps.engine.begin() as conn:
        conn.execute(text("UPDATE reminder SET status = 'sent' WHERE status = 'pending'"))
    samples = scrape(served.url)
    assert value(samples, "reminders", status="pending") == 0
    assert value(samples, "reminders", status="sent") == 4


def test_readyz_wants_the_schema_at_head_healthz_only_the_database(served: Harness) -> None:
    ready = http(served.url + "/readyz")
    assert ready.status == 200
    assert ready.json() == {"database": "ok", "migrations": "head",
                            "current": sorted(schema_heads()), "head": sorted(schema_heads())}
    (head,) = schema_heads()
    engine = served.deps.engine
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
        behind = http(served.url + "/readyz")
        assert behind.status == 503
        assert behind.json()["migrations"] == "not at head"
        assert behind.json()["current"] == ["0000"]
        assert http(served.url + "/healthz").status == 200  # alive: do not restart it
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert http(served.url + "/readyz").status == 200


def test_readiness_of_a_database_that_is_down_or_never_migrated(tmp_path: Path) -> None:
    down = check_readiness(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    assert not down.ready and down.as_json()["database"] == "down"

    url = create_database()
    engine = make_engine(url)
    try:
        empty = check_readiness(engine)
        assert not empty.ready and empty.as_json()["migrations"] == "not at head"
        migrate(engine)
        assert check_readiness(engine).ready
    finally:
        engine.dispose()
        drop_database(url)


def test_metrics_report_a_database_that_stopped_answering(bot: Harness) -> None:
    db_file = Path(str(bot.deps.engine.url.database))
    bot.deps.engine.dispose()
    db_file.rename(db_file.with_suffix(".moved"))
    db_file.mkdir()  # SQLite cannot open a directory: the database is "down"
    try:
        samples = scrape(bot.url)
        assert value(samples, "database_up") == 0
        assert ("postmortems", frozenset({("status", "draft")})) not in samples
        assert http(bot.url + "/readyz").status == 503
    finally:
        db_file.rmdir()
        db_file.with_suffix(".moved").rename(db_file)


def test_every_answer_carries_a_request_id(bot: Harness) -> None:
    given = http(bot.url + "/healthz", headers={"X-Request-Id": "lb-7f3a.42"})
    assert given.headers["X-Request-Id"] == "lb-7f3a.42"
    fresh = {http(bot.url + "/nope").headers["X-Request-Id"] for _ in range(2)}
    assert len(fresh) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", r) for r in fresh)
    # Ids that could break a log line or flood it are replaced, not echoed.
    for unsafe in ("two words", "x" * 129, 'quote"d', "{json}"):
        answer = http(bot.url + "/healthz", headers={"X-Request-Id": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])
    slack = bot.slack.command("/postmortem", text="help", user_id="U0ALICE",
                              channel_id="C0INCIDENT")
    assert re.fullmatch(r"[0-9a-f]{32}", slack.headers["X-Request-Id"])


def test_log_lines_written_while_handling_a_request_carry_its_id_and_team(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    with webhook_bot(sqlite_url, clock, tmp_path) as hooks:
        stream = io.StringIO()
        setup = configure_logging(2, fmt="json", stream=stream)
        try:
            body = wh.dumps(wh.generic_incident())
            headers = wh.incident_headers(body, int(clock.now.timestamp()), secret="forged")
            hooks.post("/webhooks/incident", body, {**headers, "X-Request-Id": "req-forged-1"})
            hooks.bot.slack.command("/postmortem", text="help", user_id="U0ALICE",
                                    channel_id="C0INCIDENT")
            hooks.bot.settle()
        finally:
            setup.restore()
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    rejected = next(r for r in records if "rejected (401)" in r["message"])
    assert rejected["request_id"] == "req-forged-1" and rejected["level"] == "WARNING"
    assert "team_id" not in rejected
    access = next(r for r in records
                  if r["logger"] == "bot.http.wsgi" and r["message"].startswith("POST /slack"))
    assert access["team_id"] == "T0001" and len(access["request_id"]) == 32
