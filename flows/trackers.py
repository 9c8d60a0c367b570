"""Action items in issue trackers (GitHub, Jira): filing one, once, and what the tracker says.

A push takes the item's lease (`tracker-push:<id>`) so a double click, or two replicas, file
one issue; a failed push keeps the tracker's error on the item and releases the lease so
Retry can run; a successful one keeps it, the stored issue answering any later click. The
tracker calls themselves happen between these transactions, with none open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from flows import action_items as ai
from flows.action_item_changes import ItemChange, close_from_tracker
from flows.changes import record_change
from flows.errors import InvalidState
from flows.permissions import Actor
from storage.kinds import TRACKERS
from storage.queries import action_items, keys, postmortems, settings
from storage.tables import ActionItem, Incident, Postmortem

ALWAYS_SETTING = "tracker.always"
ERROR_MAX = 2000


@dataclass(frozen=True)
class Filing:
    """An item about to be filed, or (`already`) filed before."""

    item: ActionItem
    postmortem: Postmortem
    incident: Incident
    already: bool = False


def check_tracker(tracker: str) -> str:
    if tracker not in TRACKERS:
        raise InvalidState(f"Unknown tracker “{tracker}”: use github or jira.")
    return tracker


def lease_key(item_id: int) -> str:
    return f"tracker-push:{item_id}"


def begin_push(
    session: Session, *, item_id: int, actor: Actor | None, now: datetime
) -> Filing:
    """Take the item's push lease. `actor` None: the workspace's "always" setting pushing a
    new item, no person asked."""
    item = action_items.get_item(session, item_id=item_id)
    pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
    if actor is not None:
        ai.require_status_change(pm, item, actor.user_id, "file it in a tracker",
                                 team_id=actor.team_id)
    filing = Filing(item, pm, postmortems.get_incident(session, incident_id=pm.incident_id))
    if item.tracker_ref:
        return Filing(item, pm, filing.incident, already=True)
    if not keys.take_lease(session, key=lease_key(item_id), now=now):
        raise InvalidState(f"Action item #{item.number} is being filed right now.")
    return filing


def record_filed(
    session: Session, *, filing: Filing, url: str, ref: str, actor_id: str | None,
    now: datetime,
) -> None:
    """The issue exists: its link on the item, the error of any earlier attempt gone."""
    item = action_items.get_item(session, item_id=filing.item.id or 0)
    item.tracker_url, item.tracker_ref, item.tracker_error = url, ref, None
    item.updated_at = now
    pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
    record_change(session, pm, actor_id=actor_id, now=now, kind="action_item.tracker",
                  summary=f"filed action item #{item.number} as {ref}",
                  detail={"action_item_id": item.id, "url": url})


def record_push_failed(
    session: Session, *, filing: Filing, tracker: str, error: str, now: datetime
) -> None:
    """Keep the tracker's error on the item (its tracker first, for Retry) and let go of the
    lease so Retry can push again."""
    item = action_items.get_item(session, item_id=filing.item.id or 0)
    item.tracker_error = f"{tracker}: {error}"[:ERROR_MAX]
    item.updated_at = now
    keys.release_lease(session, key=lease_key(item.id or 0))


def failed_tracker(item: ActionItem) -> str | None:
    """The tracker whose push failed, from the stored error; None when none did."""
    tracker = (item.tracker_error or "").split(":", 1)[0]
    return tracker if tracker in TRACKERS else None


def close_by_ref(
    session: Session, *, ref: str, status: str, via: str, now: datetime
) -> ItemChange | None:
    """An issue closed in its tracker; None when no action item is filed as `ref`. Closing is
    idempotent: a redelivered webhook or a poll racing it changes nothing twice."""
    item = action_items.find_by_tracker_ref(session, ref=ref)
    if item is None or item.id is None:
        return None
    return close_from_tracker(session, item_id=item.id, status=status, via=via, ref=ref, now=now)


def always_tracker(session: Session, *, team_id: str | None) -> str | None:
    """The workspace's `tracker.always`. A post-mortem without a team (opened by a webhook)
    uses the setting when exactly one workspace has one: the usual single-workspace install."""
    values = {v.strip().lower() for v in
              settings.setting_values(session, name=ALWAYS_SETTING, team_id=team_id)}
    if len(values) != 1:
        return None
    value = values.pop()
    return value if value in TRACKERS else None


def set_always_tracker(session: Session, *, team_id: str, tracker: str | None) -> None:
    """Choose (or with None, stop) pushing every new action item to `tracker`."""
    if tracker is not None:
        check_tracker(tracker)
    settings.put_setting(session, team_id=team_id, name=ALWAYS_SETTING, value=tracker)
