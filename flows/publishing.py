"""The review transitions: submit for review, a reviewer's approval or request for changes,
publish, close.

Each runs in the caller's transaction and makes the whole change there: the status, the
audit event, the document version it writes and the reminders it plans or cancels, so none
of them can be stored without the others. The guards are in flows/review.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from flows.archive import ArchivePlace, archive_location
from flows.changes import record_change
from flows.document import DEFAULT_TEMPLATE, render_markdown
from flows.errors import InvalidState, PostmortemError
from flows.lifecycle import DRAFT, IN_REVIEW, PUBLISHED
from flows.permissions import Actor, require_editor, require_workspace
from flows.policy import Policy
from flows.quality import Finding, check_quality
from flows.reminders.plan import Change, moot_kinds_on, plan_follow_ups
from flows.review import (
    APPROVED,
    CHANGES_REQUESTED,
    Reviewer,
    current_round,
    decide,
    ensure_can_submit,
    ensure_publishable,
    ensure_reviewer,
    next_version,
    pending_reviewers,
    required_reviewers,
)
from storage.queries import postmortems
from storage.queries.reminders import add_reminders, cancel_reminders
from storage.record import PostmortemRecord
from storage.tables import Document, ReviewDecision


@dataclass(frozen=True)
class Rendering:
    """How this installation renders documents, with the names the bot knows for the record's
    Slack ids (user id → display name, channel id → name), so a document says @alice, and the
    place it archives them, so the version being published says where it is kept."""

    templates_dir: Path | None = None
    tz: str = "UTC"
    default_template: str = DEFAULT_TEMPLATE
    people: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    archive: ArchivePlace | None = None

    def template_of(self, record: PostmortemRecord) -> str:
        return record.postmortem.template or self.default_template

    def render(self, record: PostmortemRecord, now: datetime, *, publishing: bool = False) -> str:
        where, link = archive_location(self.archive, record, publishing=publishing)
        return render_markdown(
            record, template=self.template_of(record), templates_dir=self.templates_dir,
            tz=self.tz, now=now, people=self.people, channels=self.channels,
            archive_url=link, archive_location=where,
        )


@dataclass(frozen=True)
class Readiness:
    """What submitting would run into: the reviewers to ask and the quality findings."""

    reviewers: list[Reviewer]
    findings: list[Finding]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]


def readiness(record: PostmortemRecord, policy: Policy, now: datetime) -> Readiness:
    return Readiness(required_reviewers(record, policy), check_quality(record, policy, now))


def blocking_message(count: int) -> str:
    return f"{count} problem(s) block review: fix them, or say why it should go ahead anyway."


@dataclass(frozen=True)
class Submitted:
    record: PostmortemRecord
    reviewers: list[Reviewer]
    document: Document
    round: int
    overridden: bool


def submit_for_review(
    session: Session, *, pm_id: int, actor: Actor, policy: Policy, override: str | None,
    rendering: Rendering, now: datetime,
) -> Submitted:
    """Draft → In review, with review draft 0.n. Errors among the quality findings block it
    unless `override` says why it should go ahead; the reason is kept and shown."""
    record = postmortems.load_record(session, pm_id=pm_id)
    pm = record.postmortem
    require_editor(pm, actor.user_id, "submit it for review", team_id=actor.team_id)
    ensure_can_submit(record)
    ready = readiness(record, policy, now)
    reason = (override or "").strip()
    if ready.blocking and not reason:
        raise PostmortemError(blocking_message(len(ready.blocking)))
    pm.status, pm.review_requested_at = IN_REVIEW, now
    if ready.blocking:
        pm.quality_override = reason
    summary = "submitted it for review" + (" (quality checks overridden)" if ready.blocking else "")
    event = record_change(
        session, pm, actor_id=actor.user_id, now=now, kind="submitted_for_review",
        summary=summary, detail={"findings": [f.rule for f in ready.findings],
                                 "override": reason or None},
    )
    # The new round starts with this event; the draft's changelog shows it.
    record.events.append(event)
    document = add_version(session, record, actor_id=actor.user_id, final=False,
                           change="Submitted for review", rendering=rendering, now=now)
    return Submitted(record, ready.reviewers, document, current_round(record),
                     bool(ready.blocking))


def reviewer_of(record: PostmortemRecord, policy: Policy, actor: Actor) -> list[Reviewer]:
    """The reviewers, once `actor` is known to be one of them (in this workspace, in review)."""
    require_workspace(record.postmortem, actor.team_id)
    reviewers = required_reviewers(record, policy)
    ensure_reviewer(record, reviewers, actor.user_id)
    return reviewers


@dataclass(frozen=True)
class Approved:
    record: PostmortemRecord
    waiting: list[Reviewer]
    published: Document | None


def approve(
    session: Session, *, pm_id: int, actor: Actor, policy: Policy, rendering: Rendering,
    now: datetime,
) -> Approved:
    """A reviewer signs off; the last sign-off of the round publishes, in the same change."""
    record = postmortems.load_record(session, pm_id=pm_id)
    reviewers = reviewer_of(record, policy, actor)
    round_ = current_round(record)
    if any(d.reviewer_id == actor.user_id and d.round == round_ and d.decision == APPROVED
           for d in record.decisions):
        raise InvalidState("You have already approved this post-mortem.")
    decision = decide(record, reviewers, user_id=actor.user_id, decision=APPROVED,
                      comment=None, now=now)
    _decided(session, record, decision)
    record_change(session, record.postmortem, actor_id=actor.user_id, now=now,
                  kind="approved", summary="approved the post-mortem")
    waiting = pending_reviewers(record, reviewers)
    if waiting:
        return Approved(record, waiting, None)
    document = publish(session, record=record, actor_id=actor.user_id, policy=policy,
                       rendering=rendering, now=now)
    return Approved(record, [], document)


def request_changes(
    session: Session, *, pm_id: int, actor: Actor, policy: Policy, comment: str, now: datetime
) -> ReviewDecision:
    """A reviewer sends it back to Draft, saying what should change."""
    record = postmortems.load_record(session, pm_id=pm_id)
    reviewers = reviewer_of(record, policy, actor)
    decision = decide(record, reviewers, user_id=actor.user_id, decision=CHANGES_REQUESTED,
                      comment=comment, now=now)
    _decided(session, record, decision)
    record.postmortem.status = DRAFT
    record_change(session, record.postmortem, actor_id=actor.user_id, now=now,
                  kind="changes_requested", summary="requested changes",
                  detail={"comment": decision.comment})
    return decision


def publish(
    session: Session, *, record: PostmortemRecord, actor_id: str, policy: Policy,
    rendering: Rendering, now: datetime,
) -> Document:
    """In review → Published: the final version, the deadline reminders cancelled (moot now)
    and the follow-up check-ins planned."""
    ensure_publishable(record)
    pm = record.postmortem
    pm.status, pm.published_at = PUBLISHED, now
    document = add_version(session, record, actor_id=actor_id, final=True,
                           change="Published after sign-off", rendering=rendering, now=now)
    cancel_reminders(session, pm_id=record.id, kinds=moot_kinds_on(Change.PUBLISHED), now=now,
                     reason="published")
    add_reminders(session, plan_follow_ups(pm, policy, now, severity=record.incident.severity,
                                           priorities=[a.priority for a in record.action_items]))
    record_change(session, pm, actor_id=actor_id, now=now, kind="published",
                  summary=f"published version {document.version}")
    return document


def add_version(
    session: Session, record: PostmortemRecord, *, actor_id: str, final: bool, change: str,
    rendering: Rendering, now: datetime,
) -> Document:
    """Render and keep the next version of the document (0.n for review, n.0 published)."""
    document = Document(
        postmortem_id=record.id, version=next_version(record, final=final),
        template=rendering.template_of(record), markdown="", change=change, author_id=actor_id,
        created_at=now,
    )
    # The version being written belongs in its own changelog.
    record.documents.append(document)
    document.markdown = rendering.render(record, now, publishing=final)
    session.add(document)
    session.flush()
    return document


def record_archive(session: Session, *, pm_id: int, path: str | None, url: str | None) -> None:
    """Where the published document was archived: a republish updates that same file."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    if path:
        pm.archive_path = path[:1000]
    if url:
        pm.archive_url = url[:1000]
    session.add(pm)


def _decided(session: Session, record: PostmortemRecord, decision: ReviewDecision) -> None:
    session.add(decision)
    record.decisions.append(decision)
