"""Filing an action item in GitHub or Jira from Slack: once per item, the link noted in the
post-mortem's thread, a failure kept on the item and shown with a Retry button.

The tracker is called between two short transactions (flows/trackers.py holds the rules and
the lease); what Slack is told goes through the outbox, written with the result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.integrations import github, jira
from bot.integrations.http import TrackerError
from bot.integrations.model import GITHUB, JIRA, Issue, IssueDraft
from bot.slack import outbox, people
from bot.slack.delivery import deliver_now
from bot.slack.trackers.views import build_push_failed, build_pushed_note
from flows import trackers
from flows.errors import InvalidState
from flows.permissions import Actor
from flows.trackers import Filing
from storage.db import session_scope
from storage.queries import action_items, postmortems

log = logging.getLogger(__name__)


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
    found = {GITHUB: github.GitHubConfig.from_extra(extra),
             JIRA: jira.JiraConfig.from_extra(extra)}
    return [name for name, config in found.items() if config is not None]


def push_action_item(
    deps: Deps, item_id: int, tracker: str, *, actor: Actor | None = None
) -> PushResult:
    """File the item in `tracker`; store the link, or the error (shown with a Retry button).
    `actor` None: the workspace's "always" setting, nobody clicked."""
    trackers.check_tracker(tracker)
    with session_scope(deps.sessions) as session:
        filing = trackers.begin_push(session, item_id=item_id, actor=actor, now=deps.now())
    item = filing.item
    if filing.already:
        return PushResult(ok=True, url=item.tracker_url, ref=item.tracker_ref, already=True)
    try:
        issue = _create(deps, tracker, _draft(deps.slack(filing.postmortem.team_id), filing))
    except TrackerError as err:
        return _failed(deps, filing, tracker, str(err), actor)
    actor_id = actor.user_id if actor else None
    with session_scope(deps.sessions) as session:
        trackers.record_filed(session, filing=filing, url=issue.url, ref=issue.ref,
                              actor_id=actor_id, now=deps.now())
        pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
        note = build_pushed_note(item.number, item.title, tracker, issue.url, issue.ref)
        ids = outbox.announce(session, pm, note, now=deps.now())
    deliver_now(deps, ids)
    return PushResult(ok=True, url=issue.url, ref=issue.ref)


def retry_push(deps: Deps, item_id: int, *, actor: Actor | None = None) -> PushResult:
    """Push again to the tracker that failed (its name prefixes the stored error)."""
    with session_scope(deps.sessions) as session:
        tracker = trackers.failed_tracker(action_items.get_item(session, item_id=item_id))
    if tracker is None:
        configured = configured_trackers(deps)
        if len(configured) != 1:
            raise InvalidState("Choose a tracker: this action item has no failed push to retry.")
        tracker = configured[0]
    return push_action_item(deps, item_id, tracker, actor=actor)


def push_if_always(deps: Deps, item_id: int) -> PushResult | None:
    """Push a new item when its workspace chose "always" for a tracker; None otherwise."""
    with session_scope(deps.sessions) as session:
        item = action_items.get_item(session, item_id=item_id)
        pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
        tracker = trackers.always_tracker(session, team_id=pm.team_id)
    if tracker is None or item.tracker_ref:
        return None
    return push_action_item(deps, item_id, tracker)


def _failed(
    deps: Deps, filing: Filing, tracker: str, error: str, actor: Actor | None
) -> PushResult:
    item, pm = filing.item, filing.postmortem
    log.warning("action item %s: %s push failed: %s", item.id, tracker, error)
    message = build_push_failed(item.id or 0, item.number, item.title, tracker, error)
    with session_scope(deps.sessions) as session:
        trackers.record_push_failed(session, filing=filing, tracker=tracker, error=error,
                                    now=deps.now())
        # In the post-mortem's thread, where the team sees it; else to whoever pressed.
        if pm.channel_id and pm.message_ts:
            ids = outbox.post(session, channel=pm.channel_id, thread_ts=pm.message_ts,
                              message=message, now=deps.now(), pm_id=pm.id, team_id=pm.team_id)
        elif actor is not None:
            ids = outbox.post(session, channel=actor.user_id, message=message, now=deps.now(),
                              pm_id=pm.id, team_id=pm.team_id)
        else:
            ids = []
    deliver_now(deps, ids)
    return PushResult(ok=False, error=error)


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


def _draft(client: WebClient, filing: Filing) -> IssueDraft:
    item, pm, incident = filing.item, filing.postmortem, filing.incident
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
