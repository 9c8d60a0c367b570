"""GitHub Issues over the REST API: create an issue for an action item, read its state.

Settings: GITHUB_TOKEN (a fine-grained token with Issues: read and write), GITHUB_REPO
(`owner/repo`), GITHUB_API_URL (default https://api.github.com; GitHub Enterprise Server uses
https://HOST/api/v3), GITHUB_LABELS (comma-separated, default `post-mortem-action`),
GITHUB_ASSIGNEES (optional `U0SLACKID=github-login, …`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.integrations.http import TrackerError, request_json
from bot.integrations.model import DONE, WONT_DO, Issue, IssueDraft, IssueState, split_list

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_LABELS = ("post-mortem-action",)
NAME = "GitHub"


@dataclass(frozen=True)
class GitHubConfig:
    token: str
    repo: str
    api_url: str = DEFAULT_API_URL
    labels: tuple[str, ...] = DEFAULT_LABELS
    assignees: Mapping[str, str] | None = None

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> GitHubConfig | None:
        token, repo = (extra.get("GITHUB_TOKEN") or "").strip(), (extra.get("GITHUB_REPO") or "")
        if not token or "/" not in repo:
            return None
        labels = split_list(extra.get("GITHUB_LABELS"))
        pairs = (p.split("=", 1) for p in split_list(extra.get("GITHUB_ASSIGNEES")) if "=" in p)
        assignees = {k.strip(): v.strip().lstrip("@") for k, v in pairs if k.strip() and v.strip()}
        return cls(
            token=token, repo=repo.strip(),
            api_url=(extra.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            labels=labels or DEFAULT_LABELS, assignees=assignees,
        )


def make_ref(repo: str, number: int | str) -> str:
    # Lower-case: GitHub names are case-insensitive and webhooks spell them as GitHub stores them.
    return f"github:{repo.lower()}#{number}"


def parse_ref(ref: str) -> tuple[str, int]:
    repo, number = ref.removeprefix("github:").rsplit("#", 1)
    return repo, int(number)


def create_issue(config: GitHubConfig, draft: IssueDraft) -> Issue:
    payload: dict[str, Any] = {
        "title": draft.title[:256], "body": render_body(draft), "labels": list(config.labels),
    }
    login = (config.assignees or {}).get(draft.owner_id or "")
    if login:
        payload["assignees"] = [login]
    url = f"{config.api_url}/repos/{config.repo}/issues"
    try:
        answer = _call(config, "POST", url, payload)
    except TrackerError as err:
        # 422 with assignees usually means the login cannot be assigned in this repo: the
        # issue matters more than the assignee, so try once more without it.
        if err.status != 422 or "assignees" not in payload:
            raise
        payload.pop("assignees")
        answer = _call(config, "POST", url, payload)
    if not isinstance(answer, dict) or "number" not in answer:
        raise TrackerError(f"{NAME} answered without an issue number")
    ref = make_ref(config.repo, answer["number"])
    return Issue(url=str(answer.get("html_url") or url), ref=ref)


def issue_state(config: GitHubConfig, ref: str) -> IssueState:
    repo, number = parse_ref(ref)
    answer = _call(config, "GET", f"{config.api_url}/repos/{repo}/issues/{number}", None)
    if not isinstance(answer, dict):
        raise TrackerError(f"{NAME} answered without an issue")
    return state_of(answer)


def state_of(issue: Mapping[str, Any]) -> IssueState:
    """closed + state_reason not_planned → won't do; closed otherwise → done."""
    if issue.get("state") != "closed":
        return IssueState(closed=False)
    return IssueState(closed=True, status=WONT_DO if issue.get("state_reason") == "not_planned"
                      else DONE)


def render_body(draft: IssueDraft) -> str:
    """Markdown: the action item, then where it came from."""
    lines = [f"Action item #{draft.item_number} from the post-mortem of "
             f"**{draft.incident_reference}** “{draft.incident_title}”.", ""]
    if draft.permalink:
        lines += [f"Post-mortem thread: {draft.permalink}", ""]
    owner = draft.owner_name or draft.owner_id
    lines += [
        f"- **Owner:** {owner or 'not set'}",
        f"- **Due:** {draft.due_on.isoformat() if draft.due_on else 'not set'}",
        f"- **Priority:** {draft.priority}",
        f"- **Category:** {draft.category}",
    ]
    if draft.success_criteria:
        lines += ["", "**Success criteria**", "", draft.success_criteria]
    return "\n".join(lines)


def _call(config: GitHubConfig, method: str, url: str, body: Any) -> Any:
    return call_api(config.token, method, url, body, name=NAME)


def call_api(token: str, method: str, url: str, body: Any, *, name: str = NAME) -> Any:
    """One GitHub REST call with the headers GitHub asks for; `name` labels its errors."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    return request_json(method, url, headers=headers, body=body, name=name)
