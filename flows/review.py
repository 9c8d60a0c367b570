"""Review and sign-off: who must approve, what a decision does, and when it is published."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flows.errors import InvalidState, NotAllowed, PostmortemError
from flows.lifecycle import CLOSED, DRAFT, IN_REVIEW, PUBLISHED, ensure_status
from flows.policy import Policy
from storage.record import PostmortemRecord
from storage.tables import ReviewDecision

APPROVED, CHANGES_REQUESTED = "approved", "changes_requested"
ROLE_LABELS = {
    "incident_commander": "Incident commander",
    "engineering_manager": "Engineering manager",
    "vp_engineering": "VP Engineering",
    "tech_lead": "Tech lead",
    "cto": "CTO",
    "reviewer": "Reviewer",
}


@dataclass(frozen=True)
class Reviewer:
    user_id: str
    role: str

    @property
    def label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role.replace("_", " ").capitalize())


def required_reviewers(record: PostmortemRecord, policy: Policy) -> list[Reviewer]:
    """Reviewers the severity requires (by role) plus everyone named as a reviewer."""
    pm = record.postmortem
    people: dict[str, Reviewer] = {}
    missing: list[str] = []
    for role in policy.required_reviewer_roles(record.incident.severity):
        user_id = pm.commander_id if role == "incident_commander" else policy.roles.get(role)
        if user_id:
            people.setdefault(user_id, Reviewer(user_id, role))
        else:
            missing.append(ROLE_LABELS.get(role, role))
    for user_id in pm.reviewers:
        people.setdefault(user_id, Reviewer(user_id, "reviewer"))
    if missing:
        raise PostmortemError(
            f"SEV{record.incident.severity} needs sign-off from: {', '.join(missing)}. "
            "Set the incident commander in Details, or the role in the policy file "
            "(roles: in POSTMORTEM_CONFIG)."
        )
    if not people:
        raise PostmortemError("Name at least one reviewer in Details before asking for review.")
    return list(people.values())


def current_round(record: PostmortemRecord) -> int:
    """Each submission for review starts a round; decisions count only in their own round."""
    return sum(1 for e in record.events if e.kind == "submitted_for_review")


def pending_reviewers(record: PostmortemRecord, reviewers: list[Reviewer]) -> list[Reviewer]:
    round_ = current_round(record)
    approved = {
        d.reviewer_id for d in record.decisions if d.round == round_ and d.decision == APPROVED
    }
    return [r for r in reviewers if r.user_id not in approved]


def decide(
    record: PostmortemRecord,
    reviewers: list[Reviewer],
    *,
    user_id: str,
    decision: str,
    comment: str | None,
    now: datetime,
) -> ReviewDecision:
    """A reviewer's approval or request for changes, in the current round."""
    ensure_reviewer(record, reviewers, user_id)
    if decision == CHANGES_REQUESTED and not (comment or "").strip():
        raise PostmortemError("Say what should change.")
    return ReviewDecision(
        postmortem_id=record.id,
        reviewer_id=user_id,
        decision=decision,
        comment=(comment or "").strip() or None,
        round=current_round(record),
        decided_at=now,
    )


def ensure_reviewer(record: PostmortemRecord, reviewers: list[Reviewer], user_id: str) -> None:
    """Only a reviewer decides, and only while the post-mortem is in review."""
    ensure_status(record.postmortem, IN_REVIEW)
    if user_id not in {r.user_id for r in reviewers}:
        raise NotAllowed("You are not one of this post-mortem's reviewers.")


def next_version(record: PostmortemRecord, *, final: bool) -> str:
    """0.1, 0.2 … for review drafts; 1.0, 2.0 … when published (again)."""
    majors, minors = 0, 0
    for doc in record.documents:
        match = re.fullmatch(r"(\d+)\.(\d+)", doc.version)
        if match:
            major, minor = int(match.group(1)), int(match.group(2))
            if (major, minor) > (majors, minors):
                majors, minors = major, minor
    return f"{majors + 1}.0" if final else f"{majors}.{minors + 1}"


def ensure_can_submit(record: PostmortemRecord) -> None:
    ensure_status(record.postmortem, DRAFT)


def should_close(record: PostmortemRecord) -> bool:
    """Published and every action item done or won't-do."""
    if record.postmortem.status != PUBLISHED:
        return False
    return all(a.status in ("done", "wont_do") for a in record.action_items)


def ensure_publishable(record: PostmortemRecord) -> None:
    if record.postmortem.status in (PUBLISHED, CLOSED):
        raise InvalidState("This post-mortem is already published.")
    ensure_status(record.postmortem, IN_REVIEW)
