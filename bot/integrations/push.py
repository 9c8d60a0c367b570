"""Pushing an action item to a tracker: once per item, failures kept visible with a Retry.

One push at a time per item: a lease (`tracker-push:<id>`, bot/webhooks/lease.py) stops a
double click from filing two issues, across replicas too; a failed push releases it so Retry
can run. A successful push keeps it: the stored tracker_ref answers any later click.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot.deps import Deps
from bot.integrations import github, jira
from bot.integrations.http import TrackerError
from bot.integrations.model import GITHUB, JIRA, TRACKERS, Issue, IssueDraft
from bot.slack import people
from bot.slack.messages import note_in_thread, refresh_control_message
from bot.slack.tracker_views import build_push_failed, build_pushed_note
from flows.errors import InvalidState, NotFound
from storage.db import session_scope
from storage.queries import audit, keys, postmortems
from storage.tables import ActionItem, Incident, Postmortem, WorkspaceSetting

log = logging.getLogger(__name__)
T = TypeVar("T")

ALWAYS_SETTING = "tracker.always"


@dataclass(frozen=True)
class PushResult:
    ok: bool
    url: str | None = None
    ref: str | None = None
    error: str | None = None
    already: bool = False


def configured_trackers(deps: Deps) -> list[str]:
    """The trackers whose settings are complete, for showing only buttons that can work."""
    extra = deps.settings.extra
    found = {GITHUB: github.GitHubConfig.from_extra(extra), JIRA: jira.JiraConfig.from_extra(extra)}
    return [name for name, config in found.items() if config is not None]


def push_action_item(
    deps: Deps, client: WebClient, action_item_id: int, tracker: str, *,
    user_id: str | None = None, channel_id: str | None = None,
) -> PushResult:
    """File the item in `tracker`; store the link, or the error (shown with a Retry button)."""
    if tracker not in TRACKERS:
        raise InvalidState(f"Unknown tracker “{tracker}”: use github or jira.")
    existing = _begin(deps, action_item_id)
    if existing is not None:
        return existing
    with session_scope(deps.sessions) as session:
        item, pm, incident = _load(session, action_item_id)
    try:
        issue = _create(deps, tracker, _draft(client, item, pm, incident))
    except TrackerError as err:
        return _failed(deps, client, item, pm, tracker, str(err), user_id, channel_id)
    with session_scope(deps.sessions) as session:
        row = session.get(ActionItem, action_item_id)
        assert row is not None
        row.tracker_url, row.tracker_ref, row.tracker_error = issue.url, issue.ref, None
        row.updated_at = deps.now()
        audit.add_event(
            session, pm_id=pm.id or 0, actor_id=user_id, at=deps.now(), kind="action_item.tracker",
            summary=f"filed action item #{item.number} as {issue.ref}",
            detail={"action_item_id": action_item_id, "url": issue.url},
        )
    assert pm.id is not None
    note_in_thread(deps, client, pm.id,
                   build_pushed_note(item.number, item.title, tracker, issue.url, issue.ref))
    refresh_control_message(deps, client, pm.id)
    return PushResult(ok=True, url=issue.url, ref=issue.ref)


def retry_push(
    deps: Deps, client: WebClient, action_item_id: int, *, user_id: str | None = None,
    channel_id: str | None = None,
) -> PushResult:
    """Push again to the tracker that failed (its name prefixes the stored error)."""
    with session_scope(deps.sessions) as session:
        item = session.get(ActionItem, action_item_id)
        if item is None:
            raise NotFound(f"There is no action item #{action_item_id}.")
        error = item.tracker_error or ""
    tracker = error.split(":", 1)[0]
    if tracker not in TRACKERS:
        configured = configured_trackers(deps)
        if len(configured) != 1:
            raise InvalidState("Choose a tracker: this action item has no failed push to retry.")
        tracker = configured[0]
    return push_action_item(deps, client, action_item_id, tracker, user_id=user_id,
                            channel_id=channel_id)


def on_action_item_created(deps: Deps, client: WebClient, action_item_id: int) -> PushResult | None:
    """Push a new item when its workspace chose "always" for a tracker; None otherwise."""
    with session_scope(deps.sessions) as session:
        item, pm, _ = _load(session, action_item_id)
        tracker = always_tracker(session, team_id=pm.team_id)
    if tracker is None or item.tracker_ref:
        return None
    return push_action_item(deps, client, action_item_id, tracker)


def always_tracker(session: Session, *, team_id: str | None) -> str | None:
    """The workspace's `tracker.always`. A post-mortem without a team (opened by a webhook)
    uses the setting when exactly one workspace has one: the usual single-workspace install."""
    stmt = select(WorkspaceSetting).where(WorkspaceSetting.name == ALWAYS_SETTING)
    if team_id:
        stmt = stmt.where(WorkspaceSetting.team_id == team_id)
    rows = session.exec(stmt).all()
    values = {r.value.strip().lower() for r in rows}
    if len(values) != 1:
        return None
    value = values.pop()
    return value if value in TRACKERS else None


def set_always_tracker(session: Session, *, team_id: str, tracker: str | None) -> None:
    """Choose (or with None, stop) pushing every new action item to `tracker`."""
    row = session.get(WorkspaceSetting, (team_id, ALWAYS_SETTING))
    if tracker is None:
        if row is not None:
            session.delete(row)
        return
    if tracker not in TRACKERS:
        raise InvalidState(f"Unknown tracker “{tracker}”: use github or jira.")
    if row is None:
        session.add(WorkspaceSetting(team_id=team_id, name=ALWAYS_SETTING, value=tracker))
    else:
        row.value = tracker


def _begin(deps: Deps, action_item_id: int) -> PushResult | None:
    """Take the item's push lease; a PushResult when it is already filed."""
    with session_scope(deps.sessions) as session:
        item = session.get(ActionItem, action_item_id)
        if item is None:
            raise NotFound(f"There is no action item #{action_item_id}.")
        if item.tracker_ref:
            return PushResult(ok=True, url=item.tracker_url, ref=item.tracker_ref, already=True)
        number = item.number
    lease = _lease_key(action_item_id)
    if not _with(deps, lambda s: keys.take_lease(s, key=lease, now=deps.now())):
        raise InvalidState(f"Action item #{number} is being filed right now.")
    return None


def _lease_key(action_item_id: int) -> str:
    return f"tracker-push:{action_item_id}"


def _failed(
    deps: Deps, client: WebClient, item: ActionItem, pm: Postmortem, tracker: str, error: str,
    user_id: str | None, channel_id: str | None,
) -> PushResult:
    log.warning("action item %s: %s push failed: %s", item.id, tracker, error)
    with session_scope(deps.sessions) as session:
        row = session.get(ActionItem, item.id)
        assert row is not None
        row.tracker_error = f"{tracker}: {error}"[:2000]
        row.updated_at = deps.now()
    assert item.id is not None
    _with(deps, lambda s: keys.release_lease(s, key=_lease_key(item.id)))
    message = build_push_failed(item.id, item.number, item.title, tracker, error)
    _show(client, pm, message, user_id, channel_id)
    return PushResult(ok=False, error=error)


def _show(
    client: WebClient, pm: Postmortem, message: dict[str, Any], user_id: str | None,
    channel_id: str | None,
) -> None:
    """In the post-mortem's thread, where the team sees it; else to whoever pressed."""
    try:
        if pm.channel_id and pm.message_ts:
            client.chat_postMessage(channel=pm.channel_id, thread_ts=pm.message_ts, **message)
        elif user_id and channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
        elif user_id:
            client.chat_postMessage(channel=user_id, **message)
    except SlackApiError as err:
        log.error("post-mortem %s: could not show a tracker error: %s", pm.id,
                  err.response.get("error"))


def _create(deps: Deps, tracker: str, draft: IssueDraft) -> Issue:
    extra = deps.settings.extra
    if tracker == GITHUB:
        gh = github.GitHubConfig.from_extra(extra)
        if gh is None:
            raise TrackerError("GitHub is not configured (GITHUB_TOKEN, GITHUB_REPO)")
        return github.create_issue(gh, draft)
    jr = jira.JiraConfig.from_extra(extra)
    if jr is None:
        raise TrackerError(
            "Jira is not configured (JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN, JIRA_PROJECT)"
        )
    return jira.create_issue(jr, draft)


def _load(session: Session, action_item_id: int) -> tuple[ActionItem, Postmortem, Incident]:
    item = session.get(ActionItem, action_item_id)
    if item is None:
        raise NotFound(f"There is no action item #{action_item_id}.")
    pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
    return item, pm, postmortems.get_incident(session, incident_id=pm.incident_id)


def _draft(client: WebClient, item: ActionItem, pm: Postmortem, incident: Incident) -> IssueDraft:
    owner: dict[str, Any] = people.user_info(client, item.owner_id) if item.owner_id else {}
    profile = owner.get("profile") or {}
    permalink = None
    if pm.channel_id and pm.message_ts:
        try:
            permalink = client.chat_getPermalink(
                channel=pm.channel_id, message_ts=pm.message_ts
            ).get("permalink")
        except SlackApiError as err:
            log.warning("post-mortem %s: no permalink: %s", pm.id, err.response.get("error"))
    return IssueDraft(
        title=item.title, item_number=item.number, incident_reference=incident.reference,
        incident_title=incident.title, permalink=permalink, owner_id=item.owner_id,
        # Real names read better than Slack handles to people outside Slack.
        owner_name=(profile.get("real_name") or owner.get("real_name") or owner.get("name")),
        owner_email=profile.get("email"), due_on=item.due_on, priority=item.priority,
        category=item.category, success_criteria=item.success_criteria,
    )


def _with(deps: Deps, work: Callable[[Session], T]) -> T:
    with session_scope(deps.sessions) as session:
        return work(session)
