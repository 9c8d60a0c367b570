"""Action items: what makes one valid (SMART, one owner), its default deadline, its status moves
and its AI-n label. Pure: rows read as data, `now` from the clock, results or errors back."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from flows.errors import FieldErrors, InvalidState, NotAllowed
from flows.permissions import can_edit, require_workspace
from storage.record import ActionItemData
from storage.tables import ActionItem, Postmortem

PRIORITIES = ("P0", "P1", "P2", "P3")
# The seeds' windows: P0/P1 within 2 weeks, P2 within a month, P3 goes to the backlog.
PRIORITY_WINDOWS: dict[str, relativedelta | None] = {
    "P0": relativedelta(weeks=2),
    "P1": relativedelta(weeks=2),
    "P2": relativedelta(months=1),
    "P3": None,
}
PRIORITY_LABELS = {
    "P0": "P0 — within 2 weeks",
    "P1": "P1 — within 2 weeks",
    "P2": "P2 — within a month",
    "P3": "P3 — backlog",
}
# Priority bands as the documents group them: key, name, priorities. Their deadlines in words
# come from PRIORITY_WINDOWS, so a template can never promise another deadline than the policy.
PRIORITY_TIERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("high", "High", ("P0", "P1")),
    ("medium", "Medium", ("P2",)),
    ("low", "Low", ("P3",)),
)


def window_text(priority: str) -> str:
    """The policy's deadline for `priority` in words: "within 2 weeks", "backlog"."""
    window = PRIORITY_WINDOWS.get(priority)
    if window is None:
        return "backlog"
    for amount, unit in ((window.years, "year"), (window.months, "month"),
                         (window.weeks, "week"), (window.days, "day")):
        if amount:
            return f"within a {unit}" if amount == 1 else f"within {amount} {unit}s"
    return "backlog"


CATEGORIES = ("Prevention", "Detection", "Response", "Documentation", "Process", "Tooling")

OPEN, IN_PROGRESS, DONE, WONT_DO = "open", "in_progress", "done", "wont_do"
STATUSES = (OPEN, IN_PROGRESS, DONE, WONT_DO)
OPEN_STATUSES = (OPEN, IN_PROGRESS)
STATUS_LABELS = {OPEN: "Open", IN_PROGRESS: "In progress", DONE: "Done", WONT_DO: "Won't do"}
# Finished items can only be reopened; switching straight from done to won't-do (or back)
# would rewrite history without anyone saying why the work stopped.
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_PROGRESS, DONE, WONT_DO}),
    IN_PROGRESS: frozenset({OPEN, DONE, WONT_DO}),
    DONE: frozenset({OPEN, IN_PROGRESS}),
    WONT_DO: frozenset({OPEN, IN_PROGRESS}),
}

TEXT_MAX = 3000
# Why an item will not be done: a sentence or two, shown beside the item wherever it is listed.
REASON_MAX = 500
MIN_TITLE_WORDS = 3

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_GROUP = re.compile(r"^(?:<!subteam\^)?(S[A-Z0-9]{2,})(?:\|[^>]*)?>?$")
_SPECIAL = re.compile(r"^<!(here|channel|everyone)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class ItemDraft:
    """An action item as entered; `status` (and the won't-do reason) only when an existing
    item is edited."""

    title: str
    owner: str | None
    priority: str | None
    category: str | None
    due_on: date | None = None
    success_criteria: str | None = None
    status: str | None = None
    wont_do_reason: str | None = None


@dataclass(frozen=True)
class ValidItem:
    title: str
    owner_id: str
    priority: str
    category: str
    due_on: date | None
    success_criteria: str | None
    status: str
    wont_do_reason: str | None = None


def label(item: ActionItemData) -> str:
    return f"AI-{item.number}"


def next_number(numbers: Iterable[int]) -> int:
    """AI-n numbers are per post-mortem and never reused: one more than the highest so far."""
    return max(numbers, default=0) + 1


def local_date(at: datetime, tz: str) -> date:
    return at.astimezone(ZoneInfo(tz)).date()


def default_due_on(
    priority: str, *, now: datetime, tz: str = "UTC", resolved_at: datetime | None = None
) -> date | None:
    """The priority's deadline counted from the incident's resolution (or today); P3 = backlog."""
    window = PRIORITY_WINDOWS[priority]
    if window is None:
        return None
    today = local_date(now, tz)
    due = (local_date(resolved_at, tz) if resolved_at else today) + window
    # Added after the window already closed: counting from resolution would make the item
    # overdue at birth, which nobody can act on; give it the full window from today instead.
    result: date = due if due >= today else today + window
    return result


def check_owner(raw: str | None) -> str:
    """One person's Slack id. Teams, user groups and channel-wide mentions own nothing."""
    value = (raw or "").strip()
    if not value:
        raise FieldErrors({"owner": "Pick the one person who owns this item."})
    mention = _MENTION.match(value)
    if mention:
        return mention.group(1)
    if _USER_ID.match(value):
        return value
    tokens = [t for t in re.split(r"[,;\s]+", value) if t]
    if len(tokens) > 1 and any(_USER_ID.match(t) or _MENTION.match(t) for t in tokens):
        raise FieldErrors({"owner": "An action item has a single owner: pick one person."})
    if _GROUP.match(value) or _SPECIAL.match(value):
        raise FieldErrors({"owner": (
            "That is a group, not a person. “Team” is not an owner: pick one person who "
            "answers for this item (they can still share the work)."
        )})
    raise FieldErrors({"owner": (
        f"“{value}” is not a person. “Team” is not an owner: pick one person who answers "
        "for this item (they can still share the work)."
    )})


def _check_text(errors: dict[str, str], key: str, value: str, what: str) -> None:
    if len(value) > TEXT_MAX:
        errors[key] = f"Keep the {what} under {TEXT_MAX} characters (it has {len(value)})."


def validate_item(
    draft: ItemDraft,
    *,
    now: datetime,
    tz: str = "UTC",
    resolved_at: datetime | None = None,
    current: ActionItemData | None = None,
) -> ValidItem:
    """The draft checked field by field; every problem is reported at once, keyed by field.

    An empty due date means the priority's default. A date in the past is refused unless it is
    the item's existing date (an overdue item must stay editable).
    """
    errors: dict[str, str] = {}
    title = draft.title.strip()
    if not title:
        errors["title"] = "Say what will be done."
    elif len(title.split()) < MIN_TITLE_WORDS and not (current and current.title == title):
        errors["title"] = (
            "Be specific: say what will be done and how you will know, e.g. “Add an alert "
            "for DB pool usage over 80%” rather than “Improve monitoring”."
        )
    else:
        _check_text(errors, "title", title, "title")
    owner_id = ""
    try:
        owner_id = check_owner(draft.owner)
    except FieldErrors as err:
        errors.update(err.errors)
    priority = (draft.priority or "").strip().upper()
    if priority not in PRIORITIES:
        errors["priority"] = (
            f"“{draft.priority}” is not a priority: use P0, P1, P2 or P3."
            if draft.priority else "Pick a priority (P0–P3)."
        )
    category = next(
        (c for c in CATEGORIES if c.lower() == (draft.category or "").strip().lower()), None
    )
    if category is None:
        errors["category"] = (
            f"“{draft.category}” is not a category: use {', '.join(CATEGORIES)}."
            if draft.category else "Pick a category."
        )
    criteria = (draft.success_criteria or "").strip() or None
    if criteria:
        _check_text(errors, "success_criteria", criteria, "success criteria")
    due_on = draft.due_on
    try:
        check_due_on(due_on, now=now, tz=tz, current=current)
    except FieldErrors as err:
        errors.update(err.errors)
    status = current.status if current else OPEN
    if draft.status and draft.status != status:
        try:
            status = next_status(status, draft.status)
        except InvalidState as err:
            errors["status"] = str(err)
    reason = None
    try:
        reason = check_reason(status, draft.wont_do_reason)
    except FieldErrors as err:
        errors.update(err.errors)
    if errors:
        raise FieldErrors(errors)
    if due_on is None:
        due_on = default_due_on(priority, now=now, tz=tz, resolved_at=resolved_at)
    return ValidItem(
        title=title, owner_id=owner_id, priority=priority, category=str(category),
        due_on=due_on, success_criteria=criteria, status=status, wont_do_reason=reason,
    )


def check_reason(status: str, reason: str | None) -> str | None:
    """Won't do needs a reason, so nobody later wonders why the work stopped; other statuses
    keep none."""
    if status != WONT_DO:
        return None
    text = " ".join((reason or "").split())
    if not text:
        raise FieldErrors({"wont_do_reason": "Say why it won't be done, in a sentence."})
    if len(text) > REASON_MAX:
        raise FieldErrors({"wont_do_reason": (
            f"Keep the reason under {REASON_MAX} characters (it has {len(text)})."
        )})
    return text


def check_due_on(
    due_on: date | None, *, now: datetime, tz: str = "UTC", current: ActionItemData | None = None
) -> None:
    """A new due date must not be in the past (in the user's own time zone); keeping an
    overdue item's existing date is fine, or the item could not be edited at all."""
    if due_on is None or (current is not None and due_on == current.due_on):
        return
    if due_on < local_date(now, tz):
        raise FieldErrors({"due_on": "Pick today or a later date: that day is already over."})


def next_status(current: str, wanted: str) -> str:
    """`wanted` when the move is allowed (staying put is always allowed: a repeated click)."""
    if wanted not in STATUSES:
        raise InvalidState(f"“{wanted}” is not a status.")
    if wanted != current and wanted not in TRANSITIONS.get(current, frozenset()):
        raise InvalidState(
            f"An item that is {STATUS_LABELS.get(current, current).lower()} cannot become "
            f"{STATUS_LABELS[wanted].lower()} directly: reopen it first."
        )
    return wanted


def apply_status(
    item: ActionItem, wanted: str, now: datetime, reason: str | None = None
) -> bool:
    """Move `item` to `wanted` (done_at and the won't-do reason follow); False when it already
    was there."""
    status = next_status(item.status, wanted)
    if status == item.status:
        return False
    item.status = status
    item.done_at = now if status == DONE else None
    item.wont_do_reason = reason if status == WONT_DO else None
    item.updated_at = now
    return True


def apply_changes(item: ActionItem, valid: ValidItem, now: datetime) -> list[str]:
    """Write `valid` onto `item`; the changes in words, for the audit trail and thread."""
    changes: list[str] = []
    if item.title != valid.title:
        changes.append("title")
    if item.owner_id != valid.owner_id:
        changes.append(f"owner → <@{valid.owner_id}>")
    if item.priority != valid.priority:
        changes.append(f"priority {item.priority} → {valid.priority}")
    if item.category != valid.category:
        changes.append(f"category → {valid.category}")
    if item.due_on != valid.due_on:
        changes.append(f"due {due_text(item.due_on)} → {due_text(valid.due_on)}")
    if item.success_criteria != valid.success_criteria:
        changes.append("success criteria")
    if item.status != valid.status:
        changes.append(f"status → {STATUS_LABELS[valid.status].lower()}")
        apply_status(item, valid.status, now, valid.wont_do_reason)
    elif item.wont_do_reason != valid.wont_do_reason:
        changes.append("won't-do reason")
        item.wont_do_reason = valid.wont_do_reason
    item.title, item.owner_id, item.priority = valid.title, valid.owner_id, valid.priority
    item.category, item.due_on = valid.category, valid.due_on
    item.success_criteria = valid.success_criteria
    if changes:
        item.updated_at = now
    return changes


def due_text(due_on: date | None) -> str:
    return due_on.isoformat() if due_on else "backlog"


def is_overdue(item: ActionItemData, today: date) -> bool:
    return item.status in OPEN_STATUSES and item.due_on is not None and item.due_on < today


def may_change_status(pm: Postmortem, item: ActionItem, user_id: str) -> bool:
    """The editors, and the item's own owner: they are the one doing the work."""
    return item.owner_id == user_id or can_edit(pm, user_id)


def require_status_change(
    pm: Postmortem, item: ActionItem, user_id: str, what: str = "change its status", *,
    team_id: str | None = None,
) -> None:
    require_workspace(pm, team_id)
    if not may_change_status(pm, item, user_id):
        raise NotAllowed(
            f"Only {label(item)}'s owner (<@{item.owner_id}>) or the post-mortem's author, "
            f"facilitator, incident commander or reviewers can {what}. "
            "Ask one of them to update it."
        )
