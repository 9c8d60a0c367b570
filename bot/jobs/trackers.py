"""An issue closed in its tracker closes its action item: told by webhook
(bot/http/webhooks/github.py, jira.py) or found by polling, for installs that cannot receive
webhooks (hourly from the scheduler, or `postmortem-bot poll-trackers`).

The item and, when it was the last open work, the post-mortem close in one transaction with
their thread notes (flows/action_item_changes.py); the notes go out once it commits.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.integrations import github, jira
from bot.integrations.http import TrackerError
from bot.integrations.model import GITHUB, JIRA, TRACKER_NAMES, IssueState, tracker_of_ref
from bot.slack import action_item_news as news
from bot.slack import outbox
from bot.slack.delivery import deliver_now
from flows import trackers
from flows.action_item_changes import ItemChange
from storage.db import session_scope
from storage.queries import action_items, keys

log = logging.getLogger(__name__)


def close_by_ref(deps: Deps, ref: str, status: str) -> ItemChange | None:
    """Mark the item filed as `ref` done (or won't do); None when no item has that issue."""
    with session_scope(deps.sessions) as session:
        closed, ids = _close(session, deps, ref, status)
    deliver_now(deps, ids)
    return closed


def close_from_webhook(
    deps: Deps, *, delivery_key: str | None, ref: str, status: str
) -> tuple[int, dict[str, Any]]:
    """A tracker's "issue closed" delivery: close the item once, however often it arrives.
    The delivery is recorded in the closing transaction: both happen, or neither."""
    with session_scope(deps.sessions) as session:
        if delivery_key and not keys.claim_key(session, key=delivery_key, now=deps.now()):
            return 200, {"duplicate": True}
        closed, ids = _close(session, deps, ref, status)
    deliver_now(deps, ids)
    if closed is None:
        return 202, {"ignored": f"no action item is filed as {ref}"}
    return 200, {"action_item_id": closed.item.id, "status": closed.item.status,
                 "changed": closed.changed}


def poll_trackers(deps: Deps) -> int:
    """Ask the trackers about every open filed item; close those whose issue is closed.

    One request per open filed item. Returns how many items it closed. A tracker that fails
    is logged and skipped: the next poll asks again.
    """
    extra = deps.settings.extra
    gh, jr = github.GitHubConfig.from_extra(extra), jira.JiraConfig.from_extra(extra)
    with session_scope(deps.sessions) as session:
        refs = action_items.open_tracker_refs(session)
    closed = 0
    for ref in refs:
        try:
            state = _state(ref, gh, jr)
        except (TrackerError, ValueError) as err:
            log.warning("poll %s failed: %s", ref, err)
            continue
        if state is not None and state.closed:
            result = close_by_ref(deps, ref, state.status)
            closed += bool(result and result.changed)
    return closed


def _close(
    session: Session, deps: Deps, ref: str, status: str
) -> tuple[ItemChange | None, list[int]]:
    via = TRACKER_NAMES.get(tracker_of_ref(ref), "the tracker")
    now = deps.now()
    closed = trackers.close_by_ref(session, ref=ref, status=status, via=via, now=now)
    if closed is None or not closed.changed:
        return closed, []
    log.info("action item %s marked %s from %s", closed.item.id, status, ref)
    note = news.tracker_closed_note(closed, ref=ref, via=via)
    ids = outbox.announce(session, closed.postmortem, note, now=now)
    return closed, ids + news.outcome(session, closed, now=now)


def _state(
    ref: str, gh: github.GitHubConfig | None, jr: jira.JiraConfig | None
) -> IssueState | None:
    tracker = tracker_of_ref(ref)
    if tracker == GITHUB and gh is not None:
        return github.issue_state(gh, ref)
    if tracker == JIRA and jr is not None:
        return jira.issue_state(jr, ref)
    return None
