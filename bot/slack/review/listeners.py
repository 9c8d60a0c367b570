"""Submit for review, reviewers' sign-off or requested changes, and the document preview."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import text, view_values
from bot.slack.ids import Action, Callback
from bot.slack.meta import meta_of
from bot.slack.modals.common import action_pm_id, announce, change, load_record, once
from bot.slack.review.publish import permalink, publish, render_for, store_document
from bot.slack.review.views import (
    COMMENT,
    OVERRIDE,
    build_changes_modal,
    build_checklist_modal,
    build_review_request,
)
from flows.errors import FieldErrors
from flows.lifecycle import DRAFT, IN_REVIEW
from flows.metrics import one_sentence_summary
from flows.permissions import require_editor
from flows.quality import check_quality
from flows.review import (
    APPROVED,
    CHANGES_REQUESTED,
    decide,
    ensure_can_submit,
    ensure_reviewer,
    pending_reviewers,
    required_reviewers,
)
from storage.queries import postmortems
from storage.record import PostmortemRecord


def review_summary(record: PostmortemRecord) -> str:
    """What a reviewer reads in the DM before opening the document."""
    pm = record.postmortem
    parts = [f"*Summary*\n{bk.escape(pm.summary or one_sentence_summary(record))}"]
    if pm.root_cause:
        parts.append(f"*Systemic root cause*\n{bk.escape(pm.root_cause)}")
    items = "\n".join(
        f"• AI-{a.number} {bk.escape(a.title[:120])} — {bk.user(a.owner_id)}"
        for a in record.action_items[:8]
    )
    parts.append(f"*Action items* ({len(record.action_items)})\n{items or '_none_'}")
    if pm.quality_override:
        parts.append(f"*Quality checks overridden:* {bk.escape(pm.quality_override)}")
    return "\n\n".join(parts)


def register(app: App, deps: Deps) -> None:
    @app.action(Action.REVIEW_OPEN)
    def handle_open_review(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        record = load_record(deps, action_pm_id(body))
        require_editor(record.postmortem, body["user"]["id"], "submit it for review")
        ensure_can_submit(record)
        reviewers = required_reviewers(record, deps.policy)
        findings = check_quality(record, deps.policy, deps.now())
        client.views_open(
            trigger_id=body["trigger_id"], view=build_checklist_modal(record, findings, reviewers)
        )

    @app.view(Callback.REVIEW_SUBMIT)
    def handle_review_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        pm_id = meta_of(body).pm_id
        assert pm_id is not None
        reason = text(view_values(body["view"]), OVERRIDE)
        record = load_record(deps, pm_id)
        require_editor(record.postmortem, user_id, "submit it for review")
        ensure_can_submit(record)
        reviewers = required_reviewers(record, deps.policy)
        findings = check_quality(record, deps.policy, deps.now())
        blocking = [f for f in findings if f.level == "error"]
        if blocking and not reason:
            if any(b.get("block_id") == OVERRIDE for b in body["view"]["blocks"]):
                raise FieldErrors(
                    {
                        OVERRIDE: f"{len(blocking)} problem(s) block review: fix "
                        "them, or say why it should go ahead anyway."
                    }
                )
            # Problems appeared since the modal opened: show them with the override field.
            ack(response_action="update", view=build_checklist_modal(record, findings, reviewers))
            return
        if not once(deps, body):
            ack()
            return
        summary = "submitted it for review" + (" (quality checks overridden)" if blocking else "")
        with change(
            deps,
            pm_id,
            user_id,
            "submitted_for_review",
            summary,
            {"findings": [f.rule for f in findings], "override": reason or None},
        ) as s:
            pm = postmortems.get_postmortem(s, pm_id=pm_id)
            pm.status = IN_REVIEW
            pm.review_requested_at = deps.now()
            if blocking:
                pm.quality_override = reason
        ack()
        record, _ = store_document(
            deps, client, pm_id, actor_id=user_id, final=False, change="Submitted for review"
        )
        link = permalink(client, record.postmortem.channel_id, record.postmortem.message_ts)
        digest = review_summary(record)
        for reviewer in reviewers:
            client.chat_postMessage(
                channel=reviewer.user_id, **build_review_request(record, reviewer, digest, link)
            )
        names = ", ".join(f"<@{r.user_id}>" for r in reviewers)
        announce(deps, client, pm_id, user_id, f"{summary}; sign-off requested from {names}")

    @app.action(Action.REVIEW_APPROVE)
    def handle_approve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        pm_id = action_pm_id(body)
        record = load_record(deps, pm_id)
        reviewers = required_reviewers(record, deps.policy)
        decision = decide(
            record, reviewers, user_id=user_id, decision=APPROVED, comment=None, now=deps.now()
        )
        with change(deps, pm_id, user_id, "approved", "approved the post-mortem") as session:
            session.add(decision)
        _mark_dm(
            client,
            body,
            f":white_check_mark: You approved the post-mortem for "
            f"*{bk.escape(record.incident.title)}*.",
        )
        record = load_record(deps, pm_id)
        waiting = pending_reviewers(record, reviewers)
        if waiting:
            names = ", ".join(f"<@{r.user_id}>" for r in waiting)
            announce(deps, client, pm_id, user_id, f"approved; waiting for {names}")
            return
        announce(deps, client, pm_id, user_id, "approved; every reviewer has signed off")
        publish(deps, client, pm_id, actor_id=user_id)

    @app.action(Action.REVIEW_REQUEST_CHANGES)
    def handle_request_changes(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        pm_id = action_pm_id(body)
        record = load_record(deps, pm_id)
        ensure_reviewer(record, required_reviewers(record, deps.policy), body["user"]["id"])
        client.views_open(trigger_id=body["trigger_id"], view=build_changes_modal(pm_id))

    @app.view(Callback.REVIEW_CHANGES)
    def handle_changes_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        pm_id = meta_of(body).pm_id
        assert pm_id is not None
        comment = text(view_values(body["view"]), COMMENT)
        if not comment:
            raise FieldErrors({COMMENT: "Say what should change."})
        record = load_record(deps, pm_id)
        decision = decide(
            record,
            required_reviewers(record, deps.policy),
            user_id=user_id,
            decision=CHANGES_REQUESTED,
            comment=comment,
            now=deps.now(),
        )
        if not once(deps, body):
            ack()
            return
        with change(
            deps, pm_id, user_id, "changes_requested", "requested changes", {"comment": comment}
        ) as session:
            session.add(decision)
            postmortems.get_postmortem(session, pm_id=pm_id).status = DRAFT
        ack()
        announce(
            deps,
            client,
            pm_id,
            user_id,
            f"requested changes — back to Draft:\n>{bk.escape(comment)[:2500]}",
        )

    @app.action(Action.PREVIEW)
    def handle_preview(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        record = load_record(deps, action_pm_id(body))
        markdown = render_for(deps, client, record)
        im = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=im,
            content=markdown,
            filename=f"post-mortem-{record.id}-preview.md",
            title=f"Preview: {record.incident.title}",
            initial_comment=f"Preview of post-mortem #{record.id} as it stands now "
            f"({record.postmortem.status.replace('_', ' ')}).",
        )


def _mark_dm(client: WebClient, body: dict[str, Any], text_: str) -> None:
    """Replace the review request's buttons with the decision, so it cannot be clicked twice."""
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text=text_, blocks=[bk.section(text_)])
