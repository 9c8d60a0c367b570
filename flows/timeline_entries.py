"""Adding, changing and deleting timeline entries: who may, and the audit trail that keeps the
entry as it was (so a deletion records who removed what)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlmodel import Session

from flows.changes import record_change
from flows.errors import PostmortemError
from flows.owned import RowKind, owned_row
from flows.permissions import Actor, require_participant
from flows.timeline import EntryDraft, short
from storage.queries import parts, postmortems
from storage.tables import TimelineEntry

GONE = "That timeline entry no longer exists (someone deleted it)."


class AlreadyOnTimeline(PostmortemError):
    """The message is already an entry of this timeline (a second pin or shortcut)."""


def already_there(pm_id: int) -> AlreadyOnTimeline:
    return AlreadyOnTimeline(
        f":pushpin: This message is already on the timeline of post-mortem #{pm_id}.")


def detail(entry: TimelineEntry) -> dict[str, Any]:
    names = ("id", "text", "actor", "source", "message_key", "link", "milestone", "created_by")
    return {"occurred_at": entry.occurred_at.isoformat(), **{k: getattr(entry, k) for k in names}}


def add_entry(
    session: Session, *, pm_id: int, actor: Actor, draft: EntryDraft,
    in_channel: Callable[[], bool], now: datetime,
) -> TimelineEntry | None:
    """Anyone in the incident channel may add. None when the draft's Slack message is already
    on the timeline (two people pinned it at once): the first one is the entry."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_participant(pm, actor, in_channel=in_channel)
    entry = TimelineEntry(postmortem_id=pm_id, created_by=actor.user_id, created_at=now,
                          **asdict(draft))
    if draft.message_key is None:
        parts.add_parts(session, [entry])  # typed, not a Slack message: nothing to collide
    elif not parts.add_unless_present(session, entry):
        return None
    when = f"{draft.occurred_at:%Y-%m-%d %H:%M} UTC"
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="timeline.added",
                  summary=f"added a timeline entry ({when} — {short(draft.text)})",
                  detail=detail(entry))
    return entry


def edit_entry(
    session: Session, *, pm_id: int, entry_id: int, actor: Actor, draft: EntryDraft,
    now: datetime,
) -> TimelineEntry:
    """People change their own entries; the editors anyone's. Where it came from (a message,
    a reaction) stays as it was."""
    pm, entry = owned_row(session, TimelineEntry, pm_id=pm_id, row_id=entry_id, actor=actor,
                          what="change someone else's entry", missing=GONE)
    before = detail(entry)
    entry.occurred_at, entry.text, entry.actor = draft.occurred_at, draft.text, draft.actor
    entry.milestone = draft.milestone
    session.add(entry)
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="timeline.edited",
                  summary="changed a timeline entry",
                  detail={"before": before, "after": detail(entry)})
    return entry


ENTRY = RowKind(TimelineEntry, "delete someone else's entry", GONE, "timeline.deleted",
                lambda entry: ("deleted a timeline entry", {"before": detail(entry)}))
