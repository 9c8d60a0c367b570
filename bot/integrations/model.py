"""What a tracker gets (IssueDraft) and gives back (Issue, IssueState), as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storage.kinds import DONE, GITHUB, JIRA, TRACKERS, WONT_DO

__all__ = ["DONE", "GITHUB", "JIRA", "TRACKERS", "TRACKER_NAMES", "WONT_DO", "Issue",
           "IssueDraft", "IssueState", "split_list", "tracker_of_ref"]
TRACKER_NAMES = {GITHUB: "GitHub", JIRA: "Jira"}


@dataclass(frozen=True)
class IssueDraft:
    """An action item as an issue: each tracker renders the body in its own markup."""

    title: str
    item_number: int
    incident_reference: str
    incident_title: str
    permalink: str | None
    owner_id: str | None
    owner_name: str | None
    owner_email: str | None
    due_on: date | None
    priority: str
    category: str
    success_criteria: str | None


@dataclass(frozen=True)
class Issue:
    url: str
    ref: str  # "github:owner/repo#12" or "jira:OPS-7": what closure webhooks look up


@dataclass(frozen=True)
class IssueState:
    closed: bool
    status: str = DONE  # DONE or WONT_DO when closed


def tracker_of_ref(ref: str) -> str:
    return ref.split(":", 1)[0]


def split_list(raw: str | None) -> tuple[str, ...]:
    """`a, b,,c` → ("a", "b", "c"): how list settings are written in the environment."""
    return tuple(s.strip() for s in (raw or "").split(",") if s.strip())
