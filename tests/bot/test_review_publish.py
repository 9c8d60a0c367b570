"""Review, sign-off and publishing over signed HTTP: checklist, DMs, file upload, archive,
executive summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.slack.ids import Action
from bot.slack.review.views import COMMENT, OVERRIDE
from flows.lifecycle import IncidentFacts
from flows.policy import Policy
from storage.db import session_scope
from storage.tables import (
    ActionItem,
    Document,
    Learning,
    Postmortem,
    Reminder,
    ReviewDecision,
    TimelineEntry,
    Why,
)
from tests.bot.opening import open_postmortem, post_control
from tests.harness import Harness

STARTED = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


def make_postmortem(
    bot: Harness, *, complete: bool = True, title: str = "Checkout API returned 500s",
    channel_id: str = "C0INCIDENT", team_id: str | None = None,
) -> int:
    # SEV2 needs the engineering manager's sign-off; Bob is both EM and commander here.
    bot.deps.policy = Policy(roles={"engineering_manager": "U0BOB"})
    pm_id, _ = open_postmortem(
        bot,
        IncidentFacts(
            title=title,
            severity=2,
            services=["payment-api"],
            channel_id=channel_id,
            started_at=STARTED,
            detected_at=STARTED + timedelta(minutes=4),
            resolved_at=STARTED + timedelta(minutes=50),
        ),
        owner_id="U0ALICE",
        team_id=team_id,
        post=False,
    )
    now = bot.clock()
    with session_scope(bot.deps.sessions) as session:
        pm = session.get(Postmortem, pm_id)
        assert pm is not None
        pm.commander_id = "U0BOB"
        pm.reviewers = ["U0CAROL"]
        if complete:
            pm.root_cause = "The release process has no load test for connection-heavy changes."
            pm.summary = "Checkout failed for 46 minutes after a deploy exhausted DB connections."
            pm.users_affected = "~5,000 customers"
            for n, answer in enumerate(
                [
                    "Pool exhausted",
                    "Pool too small",
                    "Default never tuned",
                    "No pool metrics",
                    "Metrics not exported",
                ],
                start=1,
            ):
                session.add(Why(postmortem_id=pm_id, position=n, question=f"q{n}", answer=answer))
            session.add(
                TimelineEntry(
                    postmortem_id=pm_id, occurred_at=STARTED, text="Deploy", created_at=now
                )
            )
            for text in ("Alert fired within 4 minutes", "Rollback worked first time"):
                session.add(
                    Learning(postmortem_id=pm_id, kind="went_well", text=text, created_at=now)
                )
            session.add(
                ActionItem(
                    postmortem_id=pm_id,
                    number=1,
                    owner_id="U0DAN",
                    due_on=date(2026, 12, 5),
                    priority="P1",
                    category="Detection",
                    title="Add an alert when the DB connection pool is over 80% for 5 minutes",
                    success_criteria="Alert fires in staging load test",
                    created_at=now,
                    updated_at=now,
                )
            )
    post_control(bot, pm_id)
    return pm_id


def open_checklist(bot: Harness, pm_id: int) -> dict:
    bot.slack.block_action("U0ALICE", Action.REVIEW_OPEN, value=str(pm_id), channel_id="C0INCIDENT")
    bot.settle()
    call = bot.emu.wait_for("views.open")[-1]
    return bot.emu.views[call.response["view"]["id"]]


def publish_via_slack(bot: Harness, pm_id: int) -> None:
    """Submit for review (no blocking findings), then Bob and Carol approve from their DMs."""
    assert bot.slack.view_submission("U0ALICE", open_checklist(bot, pm_id), {}).status == 200
    bot.settle()
    for reviewer in ("U0BOB", "U0CAROL"):
        bot.slack.block_action(reviewer, Action.REVIEW_APPROVE, value=str(pm_id),
                               channel_id=bot.emu.im_channel(reviewer))
        bot.settle()


def test_full_review_and_publish(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    view = open_checklist(bot, pm_id)
    assert bot.slack.view_submission("U0ALICE", view, {}).status == 200
    bot.settle()
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).status == "in_review"
        assert [d.version for d in session.exec(select(Document)).all()] == ["0.1"]
    requests = [
        c
        for c in bot.emu.calls_to("chat.postMessage")
        if c.args.get("channel") in ("U0BOB", "U0CAROL")
    ]
    assert {c.args["channel"] for c in requests} == {"U0BOB", "U0CAROL"}

    # Bob asks for changes: back to Draft, comment in the thread.
    bot.slack.block_action("U0BOB", Action.REVIEW_REQUEST_CHANGES, value=str(pm_id))
    bot.settle()
    changes_view = bot.emu.views[bot.emu.wait_for("views.open")[-1].response["view"]["id"]]
    bot.slack.view_submission(
        "U0BOB",
        changes_view,
        {COMMENT: {"value": {"type": "plain_text_input", "value": "Add the customer email"}}},
    )
    bot.settle()
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).status == "draft"
    thread = [m for m in bot.emu.messages("C0INCIDENT") if "Add the customer email" in m["text"]]
    assert thread and thread[0].get("thread_ts")

    # Second round: both approve; the last approval publishes.
    view = open_checklist(bot, pm_id)
    bot.slack.view_submission("U0ALICE", view, {})
    bot.settle()
    for reviewer in ("U0BOB", "U0CAROL"):
        bot.slack.block_action(
            reviewer,
            Action.REVIEW_APPROVE,
            value=str(pm_id),
            channel_id=bot.emu.im_channel(reviewer),
        )
        bot.settle()
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
        decisions = session.exec(select(ReviewDecision)).all()
        docs = session.exec(select(Document).order_by(Document.id)).all()
        reminders = session.exec(select(Reminder).where(Reminder.postmortem_id == pm_id)).all()
    assert pm.status == "published" and pm.published_at == bot.clock()
    assert [(d.reviewer_id, d.decision, d.round) for d in decisions] == [
        ("U0BOB", "changes_requested", 1),
        ("U0BOB", "approved", 2),
        ("U0CAROL", "approved", 2),
    ]
    assert [d.version for d in docs] == ["0.1", "0.2", "1.0"]
    final = docs[-1].markdown
    assert "Checkout API returned 500s" in final

    upload = bot.emu.uploaded_files[-1]
    assert upload["content"].decode() == final
    assert upload["channel_id"] == "C0INCIDENT" and upload["thread_ts"] == pm.message_ts
    name = "2026-11-21-INC-2026-11-21-001-checkout-api-returned-500s.md"  # flows/archive.py
    archive = bot.deps.settings.archive_dir / name
    assert archive.read_text() == final
    summary = [
        c for c in bot.emu.calls_to("chat.postMessage") if c.args.get("channel") == "#engineering"
    ]
    assert len(summary) == 1
    summary_text = str(summary[0].args["blocks"])
    assert "AI-1" in summary_text and "U0DAN" in summary_text and "2026-12-05" in summary_text
    assert "load test" in summary_text
    # Deadline reminders are moot once published; follow-ups are planned.
    kinds = {(r.kind, r.status) for r in reminders}
    assert ("follow_up", "pending") in kinds
    assert not any(r.kind == "deadline" and r.status == "pending" for r in reminders)


def test_blocking_findings_need_an_override_reason(bot: Harness) -> None:
    pm_id = make_postmortem(bot, complete=False)
    view = open_checklist(bot, pm_id)
    assert any(b.get("block_id") == OVERRIDE for b in view["blocks"])
    body = bot.slack.view_submission("U0ALICE", view, {}).json()
    assert body["response_action"] == "errors" and OVERRIDE in body["errors"]
    with bot.session() as session:
        assert session.get(Postmortem, pm_id).status == "draft"
    reason = {
        OVERRIDE: {
            "value": {
                "type": "plain_text_input",
                "value": "Customer comms needed today; whys follow.",
            }
        }
    }
    bot.slack.view_submission("U0ALICE", view, reason)
    bot.settle()
    with bot.session() as session:
        pm = session.get(Postmortem, pm_id)
    assert pm.status == "in_review"
    assert pm.quality_override == "Customer comms needed today; whys follow."


def test_non_editor_cannot_submit_and_non_reviewer_cannot_approve(bot: Harness) -> None:
    pm_id = make_postmortem(bot)
    bot.slack.block_action("U0DAN", Action.REVIEW_OPEN, value=str(pm_id), channel_id="C0INCIDENT")
    bot.settle()
    refusal = bot.emu.wait_for("chat.postEphemeral")[-1]
    assert refusal.args["user"] == "U0DAN" and "Only the post-mortem" in refusal.args["text"]
    view = open_checklist(bot, pm_id)
    bot.slack.view_submission("U0ALICE", view, {})
    bot.settle()
    bot.slack.block_action("U0DAN", Action.REVIEW_APPROVE, value=str(pm_id))
    bot.settle()
    with bot.session() as session:
        assert session.exec(select(ReviewDecision)).all() == []
