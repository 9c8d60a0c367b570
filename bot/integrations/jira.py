"""Jira (Cloud or Data Center) over REST API v2: create an issue, read its status category.

Settings: JIRA_BASE_URL (https://yourco.atlassian.net), JIRA_EMAIL + JIRA_API_TOKEN (basic
auth), JIRA_PROJECT (key), JIRA_ISSUE_TYPE (default Task), JIRA_LABELS (comma-separated,
default `post-mortem-action`). v2 because its description is plain wiki markup; v3 would need
Atlassian Document Format for the same text.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.integrations.http import TrackerError, request_json
from bot.integrations.model import DONE, WONT_DO, Issue, IssueDraft, IssueState, split_list

NAME = "Jira"
PRIORITIES = {"P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low", "P4": "Lowest"}
# Fields many project screens leave out; Jira then rejects the whole issue. Dropped on retry.
OPTIONAL_FIELDS = frozenset({"priority", "duedate", "assignee", "labels"})
WONT_DO_RESOLUTIONS = frozenset({"won't do", "won't fix", "duplicate", "cannot reproduce",
                                 "declined", "obsolete"})


@dataclass(frozen=True)
class JiraConfig:
    base_url: str
    email: str
    api_token: str
    project: str
    issue_type: str = "Task"
    labels: tuple[str, ...] = ("post-mortem-action",)

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> JiraConfig | None:
        values = {k: (extra.get(k) or "").strip() for k in
                  ("JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT")}
        if not all(values.values()):
            return None
        labels = split_list(extra.get("JIRA_LABELS"))
        return cls(
            base_url=values["JIRA_BASE_URL"].rstrip("/"), email=values["JIRA_EMAIL"],
            api_token=values["JIRA_API_TOKEN"], project=values["JIRA_PROJECT"],
            issue_type=(extra.get("JIRA_ISSUE_TYPE") or "Task").strip(),
            labels=labels or ("post-mortem-action",),
        )


def make_ref(key: str) -> str:
    return f"jira:{key.upper()}"


def create_issue(config: JiraConfig, draft: IssueDraft) -> Issue:
    fields: dict[str, Any] = {
        "project": {"key": config.project},
        "issuetype": {"name": config.issue_type},
        "summary": " ".join(draft.title.split())[:255],
        "description": render_description(draft),
        "priority": {"name": PRIORITIES.get(draft.priority.upper(), "Medium")},
        "labels": list(config.labels),
    }
    if draft.due_on:
        fields["duedate"] = draft.due_on.isoformat()
    account = find_account(config, draft.owner_email) if draft.owner_email else None
    if account:
        fields["assignee"] = {"accountId": account}
    url = f"{config.base_url}/rest/api/2/issue"
    try:
        answer = _call(config, "POST", url, {"fields": fields})
    except TrackerError as err:
        errors = err.body.get("errors") if isinstance(err.body, dict) else None
        rejected = set(errors) if isinstance(errors, dict) else set()
        if err.status != 400 or not rejected or not rejected <= OPTIONAL_FIELDS:
            raise
        answer = _call(config, "POST", url, {"fields": {
            k: v for k, v in fields.items() if k not in rejected}})
    if not isinstance(answer, dict) or not answer.get("key"):
        raise TrackerError(f"{NAME} answered without an issue key")
    key = str(answer["key"])
    return Issue(url=f"{config.base_url}/browse/{key}", ref=make_ref(key))


def find_account(config: JiraConfig, email: str) -> str | None:
    """The Jira account for a Slack user's email; None when unknown or hidden by privacy."""
    url = f"{config.base_url}/rest/api/2/user/search?query={quote(email)}"
    try:
        users = _call(config, "GET", url, None)
    except TrackerError:
        return None
    for user in users if isinstance(users, list) else []:
        if str(user.get("emailAddress", "")).lower() == email.lower() or len(users) == 1:
            return str(user.get("accountId") or "") or None
    return None


def issue_state(config: JiraConfig, ref: str) -> IssueState:
    key = ref.removeprefix("jira:")
    url = f"{config.base_url}/rest/api/2/issue/{quote(key)}?fields=status,resolution"
    answer = _call(config, "GET", url, None)
    if not isinstance(answer, dict):
        raise TrackerError(f"{NAME} answered without an issue")
    return state_of(answer.get("fields") or {})


def state_of(fields: Mapping[str, Any]) -> IssueState:
    """Status category `done` closes; a won't-do style resolution makes it won't do."""
    category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
    if category != "done":
        return IssueState(closed=False)
    resolution = str((fields.get("resolution") or {}).get("name") or "").lower()
    return IssueState(closed=True, status=WONT_DO if resolution in WONT_DO_RESOLUTIONS else DONE)


def render_description(draft: IssueDraft) -> str:
    """Jira wiki markup: the action item, then where it came from."""
    lines = [f"Action item #{draft.item_number} from the post-mortem of "
             f"*{draft.incident_reference}* “{draft.incident_title}”.", ""]
    if draft.permalink:
        lines += [f"[Post-mortem thread|{draft.permalink}]", ""]
    lines += [
        f"* *Owner:* {draft.owner_name or draft.owner_id or 'not set'}",
        f"* *Due:* {draft.due_on.isoformat() if draft.due_on else 'not set'}",
        f"* *Priority:* {draft.priority}",
        f"* *Category:* {draft.category}",
    ]
    if draft.success_criteria:
        lines += ["", "h3. Success criteria", draft.success_criteria]
    return "\n".join(lines)


def _call(config: JiraConfig, method: str, url: str, body: Any) -> Any:
    token = base64.b64encode(f"{config.email}:{config.api_token}".encode()).decode()
    return request_json(method, url, headers={"Authorization": f"Basic {token}"}, body=body,
                        name=NAME)
