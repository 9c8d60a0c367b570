"""What the bot says about action-item changes: the thread note for each, the owner's DM on
assignment, the post-mortem closing or opening again. Written to the outbox in the change's
own transaction, so the change and its news commit together. User text is escaped here."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.slack import blocks as bk
from bot.slack import outbox
from bot.slack.reminders.dm_views import build_owner_dm
from flows import action_items as ai
from flows.action_item_changes import ItemChange, verb
from storage.tables import ActionItem

CLOSED_NOTE = (
    ":checkered_flag: Every action item is done or won't do and the day-30 question is "
    "answered: the post-mortem is *Closed*."
)
REOPENED_NOTE = (
    ":arrows_counterclockwise: {what}: the post-mortem is *Published* again until every "
    "action item is done or won't do."
)


def quoted(text: str, limit: int = 200) -> str:
    return f"“{bk.escape(bk.clip(text, limit))}”"


def _why(item: ActionItem) -> str:
    return f" — why: {quoted(item.wont_do_reason)}" if item.wont_do_reason else ""


def added_note(item: ActionItem) -> str:
    return (f"added *{ai.label(item)}* {quoted(item.title)} — owner {bk.user(item.owner_id)}, "
            f"{item.priority}, due {ai.due_text(item.due_on)}")


def updated_note(change: ItemChange) -> str:
    item = change.item
    why = _why(item) if any(c.startswith(("status", "won't-do")) for c in change.changes) else ""
    return f"updated *{ai.label(item)}*: {', '.join(change.changes)}{why}"


def status_note(change: ItemChange) -> str:
    item = change.item
    return f"{verb(item.status, f'*{ai.label(item)}*')} — {quoted(item.title)}{_why(item)}"


def due_note(change: ItemChange) -> str:
    item = change.item
    return (f"moved *{ai.label(item)}*'s due date {ai.due_text(change.before_due)} → "
            f"{ai.due_text(item.due_on)}")


def tracker_closed_note(change: ItemChange, *, ref: str, via: str) -> str:
    item = change.item
    word = "done" if item.status == ai.DONE else "won't do"
    issue = ref.split(":", 1)[-1]
    link = f"<{item.tracker_url}|{bk.escape(issue)}>" if item.tracker_url else bk.escape(ref)
    return (f":white_check_mark: Action item #{item.number} {quoted(item.title)} is {word}: "
            f"{link} was closed in {via}.")


def outcome(session: Session, change: ItemChange, *, now: datetime) -> list[int]:
    """The post-mortem's own news after an item change: it closed, or it is open again."""
    pm = change.postmortem
    if change.closed:
        return outbox.note(session, pm, CLOSED_NOTE, now=now)
    if change.reopened:
        what = (f"*{ai.label(change.item)}* was added" if change.changes == ["added"]
                else f"*{ai.label(change.item)}* is open again")
        return outbox.note(session, pm, REOPENED_NOTE.format(what=what), now=now)
    return []


def tell_owner(session: Session, change: ItemChange, *, actor_id: str, now: datetime) -> list[int]:
    """The owner's DM: the item, its status buttons, who assigned it."""
    item, pm = change.item, change.postmortem
    if not item.owner_id:
        return []
    note = f"{bk.user(actor_id)} assigned this to you {bk.slack_date(now)}."
    return outbox.post(session, channel=item.owner_id, now=now, pm_id=pm.id, team_id=pm.team_id,
                       message=build_owner_dm(item, change.incident, note=note))
