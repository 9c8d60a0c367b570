"""Issues closed in GitHub or Jira close their action items: webhooks and polling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.jobs.trackers import poll_trackers
from bot.slack.action_item_news import CLOSED_NOTE
from bot.slack.trackers.push import push_action_item
from storage.tables import ActionItem, AuditEvent, Postmortem, Reminder
from tests.fakes import webhooks as wh
from tests.fakes.bot import REPO, WebhookBot


def file_in(hooks: WebhookBot, item_id: int, tracker: str) -> str:
    result = push_action_item(hooks.bot.deps, item_id, tracker)
    assert result.ok and result.ref, result.error
    return result.ref


def item(hooks: WebhookBot, item_id: int) -> ActionItem:
    with hooks.bot.session() as session:
        row = session.get(ActionItem, item_id)
        assert row is not None
        return row


def send_github(hooks: WebhookBot, payload: dict[str, Any], **header_args: Any) -> Any:
    body = wh.dumps(payload)
    return hooks.post("/webhooks/github", body, wh.gh_headers(body, **header_args))


def github_closed(hooks: WebhookBot, reason: str = "completed") -> dict[str, Any]:
    return wh.gh_issue_closed(hooks.github.issues[(REPO.lower(), 1)], REPO, reason)


def test_github_close_marks_done_cancels_reminders_and_refreshes(
    hooks: WebhookBot, pm_id: int, item_id: int
) -> None:
    file_in(hooks, item_id, "github")
    now = hooks.bot.clock.now
    with hooks.bot.session() as session:
        session.add(Reminder(dedupe_key=f"snooze:{item_id}", kind="snooze", postmortem_id=pm_id,
                             action_item_id=item_id, due_at=now + timedelta(days=7)))
        session.commit()
    updates_before = len(hooks.bot.emu.calls_to("chat.update"))
    hooks.bot.clock.advance(days=3)
    response = send_github(hooks, github_closed(hooks))
    assert response.status == 200, response.text
    assert response.json() == {"action_item_id": item_id, "status": "done", "changed": True}
    row = item(hooks, item_id)
    assert row.status == "done" and row.done_at == hooks.bot.clock.now
    with hooks.bot.session() as session:
        reminder = session.exec(select(Reminder).where(Reminder.kind == "snooze")).one()
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == "action_item.done"))
        assert len(events.all()) == 1
    assert reminder.status == "cancelled"
    assert len(hooks.bot.emu.calls_to("chat.update")) > updates_before
    texts = [m.get("text", "") for m in hooks.bot.emu.messages("C0INC42")]
    assert any("was closed in GitHub" in t for t in texts)


def test_github_not_planned_is_wont_do(hooks: WebhookBot, item_id: int) -> None:
    file_in(hooks, item_id, "github")
    response = send_github(hooks, github_closed(hooks, reason="not_planned"))
    assert response.json()["status"] == "wont_do"
    row = item(hooks, item_id)
    assert row.status == "wont_do" and row.done_at is None


def test_github_bad_signature_changes_nothing(hooks: WebhookBot, item_id: int) -> None:
    file_in(hooks, item_id, "github")
    assert send_github(hooks, github_closed(hooks), secret="wrong").status == 401
    assert item(hooks, item_id).status == "open"


def test_github_redelivery_is_a_duplicate(hooks: WebhookBot, item_id: int) -> None:
    file_in(hooks, item_id, "github")
    first = send_github(hooks, github_closed(hooks), delivery="72d3162e-cc78-11e3-81ab")
    again = send_github(hooks, github_closed(hooks), delivery="72d3162e-cc78-11e3-81ab")
    assert first.status == 200 and again.json() == {"duplicate": True}


def test_github_ping_other_events_and_unknown_issues(hooks: WebhookBot) -> None:
    assert send_github(hooks, {"zen": "Keep it simple."}, event="ping").json() == {"pong": True}
    assert send_github(hooks, {"action": "opened"}, event="push").status == 202
    assert send_github(hooks, {"action": "opened", "issue": {}}).status == 202
    unknown = wh.gh_issue_closed({"number": 99, "html_url": "x"}, REPO)
    assert send_github(hooks, unknown).status == 202


def test_jira_done_with_token_in_query(hooks: WebhookBot, item_id: int) -> None:
    ref = file_in(hooks, item_id, "jira")
    body = wh.dumps(wh.jira_issue_updated(ref.removeprefix("jira:")))
    response = hooks.post(f"/webhooks/jira?token={wh.JIRA_TOKEN}", body, {})
    assert response.status == 200, response.text
    assert item(hooks, item_id).status == "done"


def test_jira_wont_do_with_token_in_header(hooks: WebhookBot, item_id: int) -> None:
    file_in(hooks, item_id, "jira")
    body = wh.dumps(wh.jira_issue_updated("OPS-1", resolution="Won't Do"))
    response = hooks.post("/webhooks/jira", body, {"X-Postmortem-Token": wh.JIRA_TOKEN})
    assert response.json()["status"] == "wont_do"


def test_jira_wrong_token_and_unfinished_status(hooks: WebhookBot, item_id: int) -> None:
    file_in(hooks, item_id, "jira")
    done = wh.dumps(wh.jira_issue_updated("OPS-1"))
    assert hooks.post("/webhooks/jira?token=guess", done, {}).status == 401
    moving = wh.dumps(wh.jira_issue_updated("OPS-1", category="indeterminate", resolution=None))
    response = hooks.post(f"/webhooks/jira?token={wh.JIRA_TOKEN}", moving, {})
    assert response.status == 202
    assert item(hooks, item_id).status == "open"


def test_polling_closes_items_whose_issues_closed(
    hooks: WebhookBot, pm_id: int, item_id: int
) -> None:
    now = hooks.bot.clock.now
    with hooks.bot.session() as session:
        second = ActionItem(postmortem_id=pm_id, number=2, title="Runbook for capture pauses",
                            created_at=now, updated_at=now)
        session.add(second)
        session.commit()
        assert second.id is not None
        second_id = second.id
    file_in(hooks, item_id, "github")
    file_in(hooks, second_id, "jira")
    deps = hooks.bot.deps
    assert poll_trackers(deps) == 0
    hooks.github.close(REPO, 1)
    hooks.jira.close("OPS-1")
    assert poll_trackers(deps) == 2
    assert item(hooks, item_id).status == "done" and item(hooks, second_id).status == "done"
    assert poll_trackers(deps) == 0



def publish_with_day30_answered(hooks: WebhookBot, pm_id: int) -> None:
    """As if reviewed and published, and the day-30 question answered "no recurrence"."""
    now = hooks.bot.clock.now
    answer = {"recurred": False, "answered_by": "U0ALICE", "answered_at": now.isoformat()}
    with hooks.bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        pm.status, pm.published_at = "published", now
        session.add(Reminder(dedupe_key=f"pm:{pm_id}:follow_up:day30", kind="follow_up",
                             postmortem_id=pm_id, due_at=now, status="sent",
                             payload={"scope": "recurrence", "days": 30, "answer": answer}))
        session.commit()


def test_the_last_issue_closed_closes_the_published_postmortem(
    hooks: WebhookBot, pm_id: int, item_id: int
) -> None:
    publish_with_day30_answered(hooks, pm_id)
    file_in(hooks, item_id, "github")
    response = send_github(hooks, github_closed(hooks, reason="not_planned"))
    assert response.json()["status"] == "wont_do"
    row = item(hooks, item_id)
    assert row.wont_do_reason == "its issue was closed as not planned in GitHub"
    with hooks.bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None and (pm.status, pm.closed_at) == ("closed", hooks.bot.clock.now)
    texts = [m.get("text", "") for m in hooks.bot.emu.messages("C0INC42")]
    assert texts[-1] == CLOSED_NOTE and "was closed in GitHub" in texts[-2]
