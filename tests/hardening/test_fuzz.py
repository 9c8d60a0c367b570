"""Hardening (issue 9): arbitrary slash-command text, button values, every modal's submission
values, and webhook bodies and headers thrown at the running bot over signed HTTP. Whatever
comes in: never a 5xx, always an answer within 3 seconds, never an unexpected failure behind
the user's back, and a refused submission changes nothing.

Fixed seed (`derandomize`) and a fixed example budget: the same inputs on every run."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from bot.slack.ids import Action
from tests.bot.test_mentions import notifying_text
from tests.fakes import webhooks as wh
from tests.fakes.bot import WebhookBot
from tests.hardening.crawl import inputs
from tests.harness import Harness

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BUDGET = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow, HealthCheck.data_too_large])
ANSWER_WITHIN = 3.0
USERS = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAN", "U0NOBODY", "W0GUEST"]
TRICKY = st.sampled_from([
    "", " ", "<!channel>", "<!here|here>", "<@U0EVIL>", "ping <@U0EVIL|evil> <!everyone>",
    "<!subteam^S0EVIL|@team>", "<#C0INCIDENT>", "&lt;", "\x00",
    "\u202e", "🔥" * 50, "a" * 5000, "1", "-1", "0", "99999999999999999999", "1e400", "NaN",
    "1:2", "1:2:3", ":", "2026-02-30", "9999-12-31", "null", "{}", "[]", "'; DROP TABLE x;--",
])
TEXT = st.one_of(TRICKY, st.text(max_size=400))


class Watch:
    """What a request may not do: fail unexpectedly (an ERROR log from the error path)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    def __enter__(self) -> Watch:
        self.caplog.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        errors = [r.getMessage() for r in self.caplog.records
                  if r.levelno >= logging.ERROR and "unexpected failure" in r.getMessage()]
        assert errors == [], errors


def timed(send: Any) -> Any:
    started = time.monotonic()
    response = send()
    elapsed = time.monotonic() - started
    assert response.status < 500, (response.status, response.text[:500])
    assert elapsed < ANSWER_WITHIN, f"answered after {elapsed:.2f} s"
    return response


def snapshot(bot: Harness) -> dict[str, int]:
    """Row counts of every table and the post-mortems' change counters."""
    with bot.deps.engine.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        counts = {t: int(conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one())
                  for t in tables}
        counts["versions"] = int(conn.execute(text(
            "SELECT COALESCE(SUM(version), 0) FROM postmortem")).scalar_one())
    return counts


@BUDGET
@given(words=TEXT, user=st.sampled_from(USERS))
def test_any_slash_command_text(bot: Harness, caplog: pytest.LogCaptureFixture, words: str,
                                user: str) -> None:
    with caplog.at_level(logging.ERROR), Watch(caplog):
        timed(lambda: bot.slack.command("/postmortem", text=words, user_id=user,
                                        channel_id="C0INCIDENT"))
        bot.settle()


@BUDGET
@given(action=st.sampled_from(sorted(Action)), value=st.one_of(
    TEXT, st.integers(-5, 5).map(lambda n: f"1:{n}"), st.integers().map(str)),
    user=st.sampled_from(USERS))
def test_any_button_value(bot: Harness, control: dict[str, Any],
                          caplog: pytest.LogCaptureFixture, action: str, value: str,
                          user: str) -> None:
    with caplog.at_level(logging.ERROR), Watch(caplog):
        timed(lambda: bot.slack.block_action(user, action, value=value, message=control,
                                             channel_id="C0INCIDENT"))
        bot.settle()


def element_values(element: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """What Slack could send for an input element, valid or not."""
    kind = element.get("type")
    options = [o.get("value") for o in element.get("options") or []]
    pick = st.one_of(st.sampled_from(options), TEXT) if options else TEXT
    if kind in ("static_select", "radio_buttons", "external_select"):
        return pick.map(lambda v: {"type": kind, "selected_option": {"value": v}})
    if kind in ("multi_static_select", "checkboxes"):
        return st.lists(pick, max_size=5).map(
            lambda vs: {"type": kind, "selected_options": [{"value": v} for v in vs]})
    if kind == "users_select":
        return st.one_of(st.sampled_from(USERS), TEXT).map(
            lambda v: {"type": kind, "selected_user": v})
    if kind == "multi_users_select":
        return st.lists(st.one_of(st.sampled_from(USERS), TEXT), max_size=5).map(
            lambda vs: {"type": kind, "selected_users": vs})
    if kind in ("conversations_select", "channels_select"):
        return st.one_of(st.just("C0INCIDENT"), TEXT).map(
            lambda v: {"type": kind, "selected_conversation": v})
    if kind == "datetimepicker":
        return st.one_of(st.integers(-2**40, 2**40), st.none()).map(
            lambda v: {"type": kind, "selected_date_time": v})
    if kind == "datepicker":
        return st.one_of(st.dates().map(str), TEXT, st.none()).map(
            lambda v: {"type": kind, "selected_date": v})
    if kind == "timepicker":
        return TEXT.map(lambda v: {"type": kind, "selected_time": v})
    return st.one_of(TEXT, st.none()).map(lambda v: {"type": kind or "plain_text_input",
                                                     "value": v})


@st.composite
def submission(draw: st.DrawFn, modals: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    callback = draw(st.sampled_from(sorted(modals)))
    view = modals[callback]
    values = {block_id: {action_id: draw(element_values(element))}
              for block_id, action_id, element in inputs(view)}
    return callback, view, values, draw(st.sampled_from(USERS))


@BUDGET
@given(data=st.data())
def test_any_modal_submission(bot: Harness, modals: dict[str, dict[str, Any]],
                              caplog: pytest.LogCaptureFixture, data: st.DataObject) -> None:
    callback, view, values, user = data.draw(submission(modals))
    before = snapshot(bot)
    with caplog.at_level(logging.ERROR), Watch(caplog):
        response = timed(lambda: bot.slack.view_submission(user, view, values,
                                                           apply_response=False))
        bot.settle()
    answer = response.json() if response.body.strip() else {}
    if answer.get("response_action") == "errors":
        assert snapshot(bot) == before, f"{callback} refused but changed the database"


WEBHOOKS = {
    "/webhooks/incident": lambda body, clock: wh.incident_headers(
        body, int(clock.now.timestamp())),
    "/webhooks/opsgenie": lambda body, clock: wh.og_headers(),
    "/webhooks/pagerduty": lambda body, clock: wh.pd_headers(body),
    "/webhooks/github": lambda body, clock: wh.gh_headers(body),
    "/webhooks/jira": lambda body, clock: {},
}
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(TEXT, st.sampled_from(
                                ["event", "alert", "action", "title", "severity", "started_at",
                                 "resolved_at", "id", "issue", "data"])), inner, max_size=6)),
    max_leaves=20)


@BUDGET
@given(path=st.sampled_from(sorted(WEBHOOKS)), payload=JSON,
       extra=st.dictionaries(st.sampled_from(["X-Postmortem-Token", "X-Postmortem-Timestamp",
                                              "X-Hub-Signature-256", "X-PagerDuty-Signature",
                                              "Content-Type", "X-Request-Id"]),
                             st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                                     max_size=80), max_size=3),
       signed=st.booleans())
def test_any_webhook_body_and_headers(hooks: WebhookBot, caplog: pytest.LogCaptureFixture,
                                      path: str, payload: Any, extra: dict[str, str],
                                      signed: bool) -> None:
    body = wh.dumps(payload)
    headers = WEBHOOKS[path](body, hooks.bot.clock) if signed else {}
    target = f"{path}?token={wh.JIRA_TOKEN}" if path.endswith("jira") and signed else path
    with caplog.at_level(logging.ERROR):
        timed(lambda: hooks.post(target, body, {**headers, **extra}))
        hooks.bot.settle()
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()
                and r.name.startswith("bot.http")]
    assert failures == []


def test_no_mention_typed_by_anyone_reached_anyone(bot: Harness) -> None:
    """After all of the above: whatever was typed, nothing the bot sent to Slack pings the
    people or groups that text named (runs last in this module)."""
    sent = [c for c in bot.emu.calls if c.method.startswith(("chat.", "views."))]
    assert len(sent) > 100
    for call in sent:
        for said in notifying_text(call.args):
            for raw in ("<@U0EVIL", "<!channel", "<!here", "<!everyone", "<!subteam^S0EVIL"):
                assert raw not in said, (call.method, raw, said[:300])
