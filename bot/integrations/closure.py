"""An issue closed in the tracker closes its action item: by webhook, or by polling.

Closing is idempotent (an item already done or won't-do is left alone), so a redelivered
webhook, a poll racing a webhook, or two replicas polling at once change nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from sqlmodel import col, select

from bot.deps import Deps
from bot.integrations import github, jira
from bot.integrations.http import TrackerError
from bot.integrations.model import DONE, GITHUB, JIRA, TRACKER_NAMES, IssueState, tracker_of_ref
from bot.slack.messages import note_in_thread, refresh_control_message
from flows.reminders.plan import Change, moot_kinds_on
from storage.db import session_scope
from storage.kinds import OPEN_ITEM_STATUSES
from storage.queries import audit, keys
from storage.queries.reminders import cancel_reminders
from storage.tables import ActionItem, ProcessedKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Closed:
    action_item_id: int
    postmortem_id: int
    status: str
    changed: bool


def close_by_ref(
    deps: Deps, client: WebClient | None, ref: str, status: str = DONE
) -> Closed | None:
    """Mark the item filed as `ref` done (or won't do); None when no item has that issue."""
    now = deps.now()
    change = Change.ITEM_DONE if status == DONE else Change.ITEM_WONT_DO
    via = TRACKER_NAMES.get(tracker_of_ref(ref), "the tracker")
    with session_scope(deps.sessions) as session:
        item = session.exec(select(ActionItem).where(ActionItem.tracker_ref == ref)).first()
        if item is None or item.id is None:
            return None
        if item.status not in OPEN_ITEM_STATUSES:
            return Closed(item.id, item.postmortem_id, item.status, changed=False)
        item.status, item.updated_at = status, now
        item.done_at = now if status == DONE else None
        word = "done" if status == DONE else "won't do"
        audit.add_event(
            session,
            pm_id=item.postmortem_id,
            actor_id=None,
            at=now,
            kind=f"action_item.{status}",
            summary=f"action item #{item.number} marked {word}: its issue closed in {via}",
            detail={"action_item_id": item.id, "tracker_ref": ref},
        )
        cancel_reminders(
            session,
            kinds=moot_kinds_on(change),
            now=now,
            item_id=item.id,
            reason=f"issue closed in {via}",
        )
        closed = Closed(item.id, item.postmortem_id, status, changed=True)
        number, title, url = item.number, item.title, item.tracker_url
    if client is not None:
        link = f"<{url}|{ref.split(':', 1)[1]}>" if url else ref
        note_in_thread(
            deps,
            client,
            closed.postmortem_id,
            f":white_check_mark: Action item #{number} “{title}” is {word}: "
            f"{link} was closed in {via}.",
        )
        refresh_control_message(deps, client, closed.postmortem_id)
    log.info("action item %s marked %s from %s", closed.action_item_id, status, ref)
    return closed


def poll_trackers(deps: Deps, client: WebClient | None = None) -> int:
    """Ask the trackers about every open filed item; close those whose issue is closed.

    For installs that cannot receive tracker webhooks; call it from the sweep (hourly is
    plenty). One request per open filed item. Returns how many items it closed. A tracker
    that fails is logged and skipped: the next poll asks again.
    """
    extra = deps.settings.extra
    gh, jr = github.GitHubConfig.from_extra(extra), jira.JiraConfig.from_extra(extra)
    with session_scope(deps.sessions) as session:
        refs = session.exec(
            select(ActionItem.tracker_ref)
            .where(
                col(ActionItem.status).in_(OPEN_ITEM_STATUSES),
                col(ActionItem.tracker_ref).is_not(None),
            )
            .order_by(col(ActionItem.id))
        ).all()
    closed = 0
    for ref in refs:
        if ref is None:
            continue
        try:
            state = _state(ref, gh, jr)
        except (TrackerError, ValueError) as err:
            log.warning("poll %s failed: %s", ref, err)
            continue
        if state is not None and state.closed:
            result = close_by_ref(deps, client, ref, state.status)
            closed += bool(result and result.changed)
    return closed


def _state(
    ref: str, gh: github.GitHubConfig | None, jr: jira.JiraConfig | None
) -> IssueState | None:
    tracker = tracker_of_ref(ref)
    if tracker == GITHUB and gh is not None:
        return github.issue_state(gh, ref)
    if tracker == JIRA and jr is not None:
        return jira.issue_state(jr, ref)
    return None


def close_from_webhook(
    deps: Deps, client: WebClient, *, delivery_key: str | None, ref: str, status: str
) -> tuple[int, dict[str, Any]]:
    """A tracker's "issue closed" delivery: close the item once, however often it arrives."""
    if delivery_key:
        with session_scope(deps.sessions) as session:
            if session.get(ProcessedKey, delivery_key) is not None:
                return 200, {"duplicate": True}
    closed = close_by_ref(deps, client, ref, status)
    if delivery_key:
        with session_scope(deps.sessions) as session:
            keys.claim_key(session, key=delivery_key, now=deps.now())
    if closed is None:
        return 202, {"ignored": f"no action item is filed as {ref}"}
    return 200, {
        "action_item_id": closed.action_item_id,
        "status": closed.status,
        "changed": closed.changed,
    }
