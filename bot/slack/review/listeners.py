"""Submit for review (quality checks, override reason), reviewers' sign-off or requested
changes, and the document preview. The transitions are flows/publishing.py's; what they owe
Slack (review requests, thread notes, the document, the executive summary) is written to the
outbox in their transaction."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.slack import blocks as bk
from bot.slack import outbox
from bot.slack.context import Ctx
from bot.slack.forms import text
from bot.slack.ids import Action, Callback
from bot.slack.review import publish
from bot.slack.review.names import rendering_for
from bot.slack.review.views import (
    COMMENT,
    COMMENT_MAX,
    OVERRIDE,
    OVERRIDE_MAX,
    build_changes_modal,
    build_checklist_modal,
    build_review_request,
    review_summary,
)
from bot.slack.router import Reply, Router, update
from flows import publishing
from flows.errors import FieldErrors
from flows.permissions import require_editor, require_workspace
from flows.review import ensure_can_submit
from storage.queries import postmortems
from storage.record import PostmortemRecord

log = logging.getLogger(__name__)


def register_listeners(router: Router) -> None:
    buttons = (
        # On the control message.
        (Action.REVIEW_OPEN, open_checklist), (Action.PREVIEW, preview),
        # In the reviewer's DM.
        (Action.REVIEW_APPROVE, approve), (Action.REVIEW_REQUEST_CHANGES, open_request_changes),
    )
    for action_id, handler in buttons:
        router.action(action_id)(handler)
    router.view(Callback.REVIEW_SUBMIT)(submit_for_review)
    router.view(Callback.REVIEW_CHANGES)(submit_request_changes)


def _submittable(ctx: Ctx) -> tuple[PostmortemRecord, publishing.Readiness]:
    record = _record(ctx)
    require_editor(record.postmortem, ctx.user_id, "submit it for review",
                   team_id=ctx.user_team_id)
    ensure_can_submit(record)
    return record, publishing.readiness(record, ctx.deps.policy, ctx.now())


def open_checklist(ctx: Ctx) -> None:
    record, ready = _submittable(ctx)
    ctx.open_view(build_checklist_modal(record, ready.findings, ready.reviewers))


def submit_for_review(ctx: Ctx) -> Reply:
    reason = text(ctx.values(), OVERRIDE, limit=OVERRIDE_MAX)
    record, ready = _submittable(ctx)
    if ready.blocking and not reason:
        if not any(b.get("block_id") == OVERRIDE for b in ctx.view.get("blocks") or []):
            # Problems appeared since the modal opened: show them with the override field.
            return update(build_checklist_modal(record, ready.findings, ready.reviewers))
        raise FieldErrors({OVERRIDE: publishing.blocking_message(len(ready.blocking))})
    # Names come from Slack and the document is rendered: after the ack, not within its 3 s.
    ctx.later(lambda: _submit(ctx, reason))
    return None


def _submit(ctx: Ctx, reason: str) -> None:
    record = _record(ctx)
    rendering = rendering_for(ctx.deps, ctx.client, record)
    link = publish.permalink(ctx.client, record.postmortem.channel_id, record.postmortem.message_ts)
    with ctx.unit() as session:
        done = publishing.submit_for_review(
            session, pm_id=record.id, actor=ctx.actor, policy=ctx.deps.policy, override=reason,
            rendering=rendering, now=ctx.now(),
        )
        digest = review_summary(done.record, rendering.tz)
        for reviewer in done.reviewers:
            ctx.queue(outbox.post(
                session, channel=reviewer.user_id, now=ctx.now(), pm_id=record.id,
                team_id=record.postmortem.team_id,
                key=f"review:{record.id}:{done.round}:{reviewer.user_id}",
                message=build_review_request(done.record, reviewer, digest, link),
            ))
        names = ", ".join(bk.user(r.user_id) for r in done.reviewers)
        overridden = " (quality checks overridden)" if done.overridden else ""
        ctx.announce(session, record.id,
                     f"submitted it for review{overridden}; sign-off requested from {names}")


def approve(ctx: Ctx) -> None:
    record = _record(ctx)
    rendering = rendering_for(ctx.deps, ctx.client, record)
    link = publish.permalink(ctx.client, record.postmortem.channel_id, record.postmortem.message_ts)
    with ctx.unit() as session:
        done = publishing.approve(session, pm_id=record.id, actor=ctx.actor,
                                  policy=ctx.deps.policy, rendering=rendering, now=ctx.now())
        if done.waiting:
            names = ", ".join(bk.user(r.user_id) for r in done.waiting)
            ctx.announce(session, record.id, f"approved; waiting for {names}")
        else:
            ctx.announce(session, record.id, "approved; every reviewer has signed off")
        if done.published is not None:
            ctx.queue(publish.queue_publication(session, ctx.deps, done.record, done.published,
                                                link=link, now=ctx.now()))
    _mark_dm(ctx, f":white_check_mark: You approved the post-mortem for "
                  f"*{bk.escape(record.incident.title)}*.")
    if done.published is not None and done.published.id is not None:
        publish.after_publish(ctx.deps, record.id, done.published.id)


def open_request_changes(ctx: Ctx) -> None:
    publishing.reviewer_of(_record(ctx), ctx.deps.policy, ctx.actor)
    ctx.open_view(build_changes_modal(ctx.require_pm()))


def submit_request_changes(ctx: Ctx) -> Reply:
    comment = text(ctx.values(), COMMENT, limit=COMMENT_MAX)
    if not comment:
        raise FieldErrors({COMMENT: "Say what should change."})
    with ctx.unit() as session:
        publishing.request_changes(session, pm_id=ctx.require_pm(), actor=ctx.actor,
                                   policy=ctx.deps.policy, comment=comment, now=ctx.now())
        ctx.announce(session, ctx.require_pm(),
                     f"requested changes — back to Draft:\n>{bk.escape(comment)[:2500]}")
    return None


def preview(ctx: Ctx) -> None:
    """The document as it stands, uploaded to the user's DM: an answer to this click (like a
    modal), not a change, so it is not an outbox row."""
    record = _record(ctx)
    require_workspace(record.postmortem, ctx.user_team_id)
    markdown = rendering_for(ctx.deps, ctx.client, record).render(record, ctx.now())
    im = ctx.client.conversations_open(users=ctx.user_id)["channel"]["id"]
    ctx.client.files_upload_v2(
        channel=im, content=markdown, filename=f"post-mortem-{record.id}-preview.md",
        title=f"Preview: {record.incident.title}",
        initial_comment=f"Preview of post-mortem #{record.id} as it stands now "
        f"({record.postmortem.status.replace('_', ' ')}).",
    )


def _mark_dm(ctx: Ctx, text_: str) -> None:
    """Replace the review request's buttons with the decision, so it cannot be clicked twice."""
    message_ts = (ctx.body.get("message") or {}).get("ts")
    if not (ctx.channel_id and message_ts):
        return
    try:
        ctx.client.chat_update(channel=ctx.channel_id, ts=message_ts, text=text_,
                               blocks=[bk.section(text_)])
    except SlackApiError as err:
        # The decision is stored either way; the old buttons now answer that it was made.
        log.warning("review DM %s not updated: %s", message_ts, err.response.get("error"))


def _record(ctx: Ctx) -> PostmortemRecord:
    with ctx.read() as session:
        return postmortems.load_record(session, pm_id=ctx.require_pm())
