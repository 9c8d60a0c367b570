"""No token or secret ever reaches a log line, whatever logs it and however."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from sqlmodel import select

from bot.observability.logs import REDACTED, configure_logging, redact
from bot.settings import Settings
from bot.slack.ids import Action
from storage.tables import ActionItem
from tests.fakes import webhooks as wh
from tests.fakes.bot import INCIDENT_CHANNEL, open_postmortem_via_webhook, send_generic, webhook_bot
from tests.fakes.trackers import FakeGitHub, FakeJira
from tests.harness import SIGNING_SECRET, FakeClock
from tests.observability.helpers import captured_logs, http

BOT_TOKEN = "xoxb-2817734-9283746-Zm9vYmFyYmF6cXV4"


@pytest.mark.parametrize("line", [
    "token=xoxb-1234-5678-abcdEFGH",
    "user token xoxp-1-2-3-abc in a message",
    "Socket Mode with xapp-1-A0001-123-abcdef",
    "refresh xoxe.xoxp-1-Mi0yLTM0 and xoxe-1-My0xLTM0",
    "{'Authorization': 'Bearer s3cr3t-value', 'User-Agent': 'x'}",
    "Authorization: Basic Ym90QGV4YW1wbGUuY29tOmppcmE=",
    "headers={\"authorization\": \"token ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
    "connect to postgresql+psycopg://bot:hunter2-pw@db:5432/pm failed",
    "GitHub said ghp_0123456789abcdefghijABCDEFGHIJ012345 is bad",
])
def test_token_shapes_are_redacted_without_being_registered(line: str) -> None:
    cleaned = redact(line, secrets=())
    assert REDACTED in cleaned
    for secret in ("1234-5678", "xoxp-1", "A0001-123", "Mi0yLTM0", "My0xLTM0", "s3cr3t",
                   "Ym90QGV4", "ghp_a", "hunter2", "ghp_0123"):
        assert secret not in cleaned


def test_registered_secrets_are_redacted_wherever_they_appear() -> None:
    assert redact("sig v0=abc with secret 'my-signing-secret' leaked",
                  secrets=["my-signing-secret"]) == f"sig v0=abc with secret '{REDACTED}' leaked"
    # The longer secret is replaced whole, not around the shorter one inside it.
    assert redact("pw=abcd-efgh", secrets=["abcd-efgh", "abcd"]) == f"pw={REDACTED}"


def test_every_credential_setting_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sign-secret",
        "SLACK_APP_TOKEN": "xapp-1", "SLACK_CLIENT_SECRET": "client-secret",
        "PAGERDUTY_WEBHOOK_SECRET": "pd-secret", "OPSGENIE_WEBHOOK_TOKEN": "og-token",
        "INCIDENT_WEBHOOK_SECRET": "inc-secret", "GITHUB_TOKEN": "gh-token",
        "GITHUB_WEBHOOK_SECRET": "ghw-secret", "JIRA_API_TOKEN": "jira-token",
        "JIRA_WEBHOOK_TOKEN": "jiraw-token",
        "DATABASE_URL": "postgresql+psycopg://bot:db-password@db/pm",
        "GITHUB_REPO": "acme/platform", "POSTMORTEM_ANNOUNCE_CHANNEL": "#eng",
        "STATUSPAGE_API_KEY": "sp-key", "VAULT_CREDENTIALS": "vault-cred",
    }
    settings = Settings.from_env(env, dotenv=Path("/nonexistent"))
    assert settings.secret_values() == {
        "xoxb-1", "sign-secret", "xapp-1", "client-secret", "pd-secret", "og-token",
        "inc-secret", "gh-token", "ghw-secret", "jira-token", "jiraw-token", "db-password",
        "sp-key", "vault-cred",
    }


def test_messages_arguments_exceptions_and_context_are_all_redacted() -> None:
    stream = io.StringIO()
    setup = configure_logging(stream=stream, fmt="json", secrets=["webhook-secret-value"])
    log = logging.getLogger("bot.test")
    try:
        log.warning("request headers %s", {"Authorization": f"Bearer {BOT_TOKEN}"})
        log.warning("secret is %s", "webhook-secret-value")
        try:
            raise RuntimeError(f"Slack refused {BOT_TOKEN}")
        except RuntimeError:
            log.exception("call failed with %s", "webhook-secret-value")
        log.warning("ok", extra={"request_id": f"id-{BOT_TOKEN}"})
    finally:
        setup.restore()
    text = stream.getvalue()
    assert BOT_TOKEN not in text and "webhook-secret-value" not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert records[2]["exception"].endswith(f"RuntimeError: Slack refused {REDACTED}")
    assert records[3]["request_id"] == f"id-{REDACTED}"


def test_a_whole_flow_at_debug_logs_no_secret(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    """Slash command, modal, webhooks (good and forged), GitHub and Jira pushes, health checks
    with an Authorization header: every library at DEBUG, then grep for every secret."""
    with webhook_bot(sqlite_url, clock, tmp_path) as hooks:
        bot = hooks.bot
        settings = bot.deps.settings
        token = bot.emu.bot_token
        bot.emu.add_user("U0BOB", "bob", email="bob@example.com", real_name="Bob Builder")
        secrets = {
            token, SIGNING_SECRET, wh.PD_SECRET, wh.OG_TOKEN, wh.INCIDENT_SECRET,
            wh.GH_SECRET, wh.JIRA_TOKEN, FakeGitHub.TOKEN, FakeJira.TOKEN,
        }
        assert settings.secret_values() == secrets  # what production registers
        with captured_logs(verbosity=2, secrets=settings.secret_values()) as logs:
            view = bot.open_modal("U0ALICE", "start Checkout API returned 500s")
            bot.slack.view_closed("U0ALICE", view)
            pm_id = open_postmortem_via_webhook(hooks)
            forged = send_generic(hooks, wh.generic_incident(), secret="not-the-secret")
            assert forged.status == 401
            with bot.session() as session:
                now = bot.clock.now
                session.add(ActionItem(
                    postmortem_id=pm_id, number=1, title="Add idempotency keys",
                    owner_id="U0BOB", priority="P1", category="Prevention",
                    success_criteria="A replay charges once.", created_at=now, updated_at=now,
                ))
                session.commit()
                item_id = session.exec(select(ActionItem.id)).one()
            for action in (Action.TRACKER_GITHUB, Action.TRACKER_JIRA):
                bot.slack.block_action("U0ALICE", action, value=str(item_id),
                                       channel_id=INCIDENT_CHANNEL)
                bot.settle()
            # A Jira closure with its token in the query string, as Jira sends it.
            jira = hooks.post(f"/webhooks/jira?token={wh.JIRA_TOKEN}",
                              wh.dumps(wh.jira_issue_updated("OPS-404")), {})
            assert jira.status < 500
            # Someone pastes the bot token into a command, and the request is forged: it is
            # refused before anything reads it, with one log line.
            forged_command = f"command=%2Fpostmortem&text=start+{token}&team_id=T0001".encode()
            refused = bot.slack.send_raw("/slack/events", forged_command, {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(int(bot.clock.now.timestamp())),
                "X-Slack-Signature": "v0=" + "0" * 64,
            })
            assert refused.status == 401
            for path in ("/healthz", "/readyz", "/metrics"):
                http(bot.url + path, headers={"Authorization": f"Bearer {token}"})
            bot.settle()
        assert hooks.github.posts("/issues$"), "the GitHub push did not happen"
    text = logs.text()
    records = logs.records()  # every line is JSON
    assert len(records) > 50, "debug logging was not on"
    assert any(r["logger"].startswith("slack_sdk") for r in records)
    assert any(r["logger"].startswith("bot.http") and "rejected (401)" in r["message"]
               for r in records)
    assert any("slack request refused (401)" in r["message"] for r in records)
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, f"secrets in the log: {leaked}"
    assert REDACTED in text
