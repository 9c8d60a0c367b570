"""Action items filed in GitHub and Jira from Slack buttons, failures, Retry and "always"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.slack.ids import Action
from bot.slack.trackers.push import push_action_item, push_if_always
from flows.trackers import set_always_tracker
from storage.tables import ActionItem, AuditEvent
from tests.fakes.bot import INCIDENT_CHANNEL, WebhookBot, open_postmortem_via_webhook, webhook_bot
from tests.fakes.trackers import FakeJira
from tests.harness import FakeClock
from tests.trackers.conftest import BOB_ACCOUNT


def press(hooks: WebhookBot, action_id: str, item_id: int, user_id: str = "U0ALICE") -> None:
    response = hooks.bot.slack.block_action(user_id, action_id, value=str(item_id),
                                            channel_id=INCIDENT_CHANNEL)
    assert response.status == 200
    hooks.bot.settle()


def item(hooks: WebhookBot, item_id: int) -> ActionItem:
    with hooks.bot.session() as session:
        row = session.get(ActionItem, item_id)
        assert row is not None
        return row


def thread_texts(hooks: WebhookBot) -> list[str]:
    return [m.get("text", "") for m in hooks.bot.emu.messages(INCIDENT_CHANNEL)
            if m.get("thread_ts") and m["thread_ts"] != m["ts"]]


def retry_button(hooks: WebhookBot) -> dict[str, Any]:
    for message in hooks.bot.emu.messages(INCIDENT_CHANNEL):
        for block in message.get("blocks", []):
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                if element.get("action_id") == Action.TRACKER_RETRY:
                    return element
    raise AssertionError("no Retry button was posted")


def test_github_button_files_an_issue_once(hooks: WebhookBot, item_id: int) -> None:
    press(hooks, Action.TRACKER_GITHUB, item_id)
    press(hooks, Action.TRACKER_GITHUB, item_id)
    posts = hooks.github.posts("/issues$")
    assert len(posts) == 1
    request = posts[0]
    assert request.path == "/repos/acme/Platform/issues"
    assert request.body["title"] == "Add idempotency keys to card capture"
    assert request.body["labels"] == ["post-mortem-action"]
    assert request.body["assignees"] == ["bob-gh"]
    body = request.body["body"]
    assert f"https://emulator.slack.com/archives/{INCIDENT_CHANNEL}/p" in body
    for fragment in ("Bob Builder", "2026-12-04", "A replayed capture request charges once.",
                     "Payments double-charged cards", "**Priority:** P1"):
        assert fragment in body
    row = item(hooks, item_id)
    assert row.tracker_url == "https://github.com/acme/Platform/issues/1"
    assert row.tracker_ref == "github:acme/platform#1" and row.tracker_error is None
    assert any("acme/platform#1" in t for t in thread_texts(hooks))
    assert any("already filed" in m["text"] for m in hooks.bot.emu.ephemeral_messages)
    with hooks.bot.session() as session:
        kinds = [e.kind for e in session.exec(select(AuditEvent)).all()]
    assert "action_item.tracker" in kinds


def test_jira_button_files_an_issue_with_mapped_fields(hooks: WebhookBot, item_id: int) -> None:
    press(hooks, Action.TRACKER_JIRA, item_id)
    request, = hooks.jira.posts("/rest/api/2/issue$")
    fields = request.body["fields"]
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "Add idempotency keys to card capture"
    assert fields["priority"] == {"name": "High"} and fields["duedate"] == "2026-12-04"
    assert fields["assignee"] == {"accountId": BOB_ACCOUNT}
    assert "[Post-mortem thread|https://emulator.slack.com/archives/" in fields["description"]
    row = item(hooks, item_id)
    assert row.tracker_ref == "jira:OPS-1"
    assert row.tracker_url == f"{hooks.jira.url}/browse/OPS-1"


def test_failure_keeps_the_item_and_retry_files_it(hooks: WebhookBot, item_id: int) -> None:
    hooks.github.fail_next(502, {"message": "Server Error"})
    press(hooks, Action.TRACKER_GITHUB, item_id)
    row = item(hooks, item_id)
    assert row.tracker_ref is None and row.status == "open"
    assert row.tracker_error == "github: GitHub answered 502: Server Error"
    button = retry_button(hooks)
    assert button["value"] == str(item_id)
    assert any("Could not create a GitHub issue" in t for t in thread_texts(hooks))
    press(hooks, Action.TRACKER_RETRY, int(button["value"]))
    row = item(hooks, item_id)
    assert row.tracker_ref == "github:acme/platform#1" and row.tracker_error is None
    assert len(hooks.github.posts("/issues$")) == 2


def test_bad_credentials_are_shown_as_github_says(hooks: WebhookBot, item_id: int) -> None:
    deps = replace(hooks.bot.deps, settings=replace(
        hooks.bot.deps.settings, extra={**hooks.bot.deps.settings.extra, "GITHUB_TOKEN": "x"}))
    result = push_action_item(deps, item_id, "github")
    assert not result.ok and result.error == "GitHub answered 401: Bad credentials"


def test_unconfigured_tracker_is_an_error_with_retry(hooks: WebhookBot, item_id: int) -> None:
    deps = replace(hooks.bot.deps, settings=replace(hooks.bot.deps.settings, extra={}))
    result = push_action_item(deps, item_id, "jira")
    assert not result.ok and "Jira is not configured" in (result.error or "")
    assert retry_button(hooks)["value"] == str(item_id)
    assert item(hooks, item_id).tracker_error.startswith("jira: ")  # type: ignore[union-attr]


def test_jira_screens_without_priority_still_get_the_issue(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    jira = FakeJira(unsettable=frozenset({"priority", "duedate"}))
    with webhook_bot(sqlite_url, clock, tmp_path, jira=jira) as hooks:
        pm_id = open_postmortem_via_webhook(hooks)
        now = clock.now
        with hooks.bot.session() as session:
            row = ActionItem(postmortem_id=pm_id, number=1, title="Alert on capture retries",
                             priority="P0", created_at=now, updated_at=now)
            session.add(row)
            session.commit()
            assert row.id is not None
            item_id = row.id
        result = push_action_item(hooks.bot.deps, item_id, "jira")
        assert result.ok, result.error
        first, second = hooks.jira.posts("/rest/api/2/issue$")
        assert first.body["fields"]["priority"] == {"name": "Highest"}
        assert "priority" not in second.body["fields"]


def test_always_setting_files_new_items_automatically(hooks: WebhookBot, item_id: int) -> None:
    deps = hooks.bot.deps
    assert push_if_always(deps, item_id) is None
    assert hooks.jira.posts() == [] and hooks.github.posts() == []
    with hooks.bot.session() as session:
        set_always_tracker(session, team_id="T0001", tracker="jira")
        session.commit()
    result = push_if_always(deps, item_id)
    assert result is not None and result.ok and result.ref == "jira:OPS-1"
    assert len(hooks.jira.posts("/rest/api/2/issue$")) == 1
