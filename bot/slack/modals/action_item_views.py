"""The action-item modals as Block Kit: the list (paged, with owner, due date, status and
tracker link per item) and the add/edit form pushed on top of it; reading the form back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack import blocks as bk
from bot.slack.forms import day, errors_at, text
from bot.slack.ids import Action, ActionItemBlock, ActionItemField, Callback
from bot.slack.meta import Meta
from bot.slack.trackers.views import build_tracker_buttons
from flows import action_items as ai
from flows.timeline import Page, paginate
from storage.record import ActionItemData, ActionItemRow, PostmortemRecord

# A modal holds 100 blocks: the head takes 4, the page links 2, and each item at most 2
# (its line and, with a tracker configured, its "Create issue" buttons).
PAGE_SIZE = 20
_BLOCK_OF = {
    "title": ActionItemField.TITLE, "owner": ActionItemField.OWNER,
    "due_on": ActionItemField.DUE, "priority": ActionItemField.PRIORITY,
    "category": ActionItemField.CATEGORY, "success_criteria": ActionItemField.CRITERIA,
    "status": ActionItemField.STATUS, "wont_do_reason": ActionItemField.WONT_DO_REASON,
}


def page_holding(record: PostmortemRecord, item_id: int | None) -> int:
    ids = [a.id for a in record.action_items]
    return ids.index(item_id) // PAGE_SIZE if item_id in ids else 0


def _item_line(item: ActionItemData, today: Any) -> str:
    due = ai.due_text(item.due_on)
    if ai.is_overdue(item, today):
        due += " :warning: *overdue*"
    tracker = ""
    if item.tracker_url:
        tracker = f" · <{item.tracker_url}|{bk.escape(item.tracker_ref or 'tracker')}>"
    elif item.tracker_error:
        tracker = " · :warning: not in the tracker yet"
    status = ai.STATUS_LABELS.get(item.status, item.status)
    if item.status == ai.WONT_DO and item.wont_do_reason:
        status += f" — “{bk.escape(bk.clip(item.wont_do_reason, 200))}”"
    return (
        f"*{ai.label(item)}* {bk.escape(bk.clip(item.title, 300))}\n"
        f"{bk.user(item.owner_id)} · due {due} · {item.priority} · {item.category} · "
        f"{status}{tracker}"
    )


def _page_link(pm_id: int, shown: Page[ActionItemRow], later: bool) -> bk.Block:
    if later:
        words = f"Page {shown.number + 1} of {shown.count}"
        button = bk.button("Next ›", Action.ACTION_ITEM_PAGE, f"{pm_id}:{shown.number + 1}")
        return bk.section(words, block_id=ActionItemBlock.LIST_NEXT, accessory=button)
    last = shown.first + len(shown.items) - 1
    words = f"Items {shown.first}–{last} of {shown.total}"
    button = bk.button("‹ Previous", Action.ACTION_ITEM_PAGE, f"{pm_id}:{shown.number - 1}")
    return bk.section(words, block_id=ActionItemBlock.LIST_PREVIOUS, accessory=button)


def build_list_modal(
    record: PostmortemRecord, *, tz: str, now: datetime, page: int = 0,
    trackers: list[str] | None = None,
) -> dict[str, Any]:
    """One page of items with owner, due date (overdue as the viewer's calendar says),
    priority, status and tracker link; "Add", one "Edit" per item, and "Create … issue"
    buttons for the configured `trackers` on open items not filed yet."""
    pm_id = record.id
    today = ai.local_date(now, tz)
    items = record.action_items
    shown = paginate(items, page, PAGE_SIZE)
    still_open = sum(1 for a in items if a.status in ai.OPEN_STATUSES)
    blocks: list[bk.Block] = [
        bk.section(f"*{bk.escape(record.incident.reference)}: "
                   f"{bk.escape(record.incident.title)}*"),
        bk.context(f"{len(items)} action items, {still_open} open. Each has one owner, a "
                   "priority (P0/P1 two weeks, P2 a month, P3 backlog) and a clear definition "
                   "of done."),
        bk.actions([bk.button("Add action item", Action.ACTION_ITEM_ADD, str(pm_id), "primary")],
                   block_id=ActionItemBlock.LIST_ACTIONS),
        bk.divider(),
    ]
    if shown.has_prev:
        blocks.append(_page_link(pm_id, shown, later=False))
    for item in shown.items:
        assert item.id is not None
        edit = bk.button("Edit", Action.ACTION_ITEM_EDIT, f"{pm_id}:{item.id}")
        blocks.append(bk.section(_item_line(item, today),
                                 block_id=f"{ActionItemBlock.LIST_ITEM}{item.id}",
                                 accessory=edit))
        if trackers and not item.tracker_url and item.status in ai.OPEN_STATUSES:
            blocks.append(bk.actions(build_tracker_buttons(item.id, trackers),
                                     block_id=f"{ActionItemBlock.LIST_TRACKER}{item.id}"))
    if not items:
        blocks.append(bk.section("_No action items yet._"))
    if shown.has_next:
        blocks.append(_page_link(pm_id, shown, later=True))
    return bk.modal("Action items", blocks, callback_id=Callback.ACTION_ITEMS, submit=None,
                    close="Close", private_metadata=Meta(pm_id=pm_id, page=shown.number).dump())


def build_item_modal(
    pm_id: int, item: ActionItemData | None, *, extra: dict[str, Any]
) -> dict[str, Any]:
    """The add form, or with `item` the edit form (with its status and won't-do reason)."""
    owner: dict[str, Any] = {"type": "users_select", "action_id": "value"}
    due: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if item and item.owner_id:
        owner["initial_user"] = item.owner_id
    if item and item.due_on:
        due["initial_date"] = item.due_on.isoformat()
    form = [
        bk.text_input(ActionItemField.TITLE, "What will be done",
                      initial=item.title if item else None, multiline=True,
                      max_length=ai.TEXT_MAX,
                      placeholder="Add an alert when DB pool usage goes over 80%",
                      hint=f"Specific and checkable, up to {ai.TEXT_MAX} characters."),
        bk.input_block(ActionItemField.OWNER, "Owner", owner,
                       hint="One person who answers for it, not a team. They get a DM."),
        bk.select(ActionItemField.PRIORITY, "Priority",
                  list(zip(ai.PRIORITY_LABELS.values(), ai.PRIORITIES, strict=True)),
                  initial=item.priority if item else None),
        bk.input_block(ActionItemField.DUE, "Due date", due, optional=True,
                       hint="Empty: the priority's deadline from the incident's resolution."),
        bk.select(ActionItemField.CATEGORY, "Category", [(c, c) for c in ai.CATEGORIES],
                  initial=item.category if item else None),
        bk.text_input(ActionItemField.CRITERIA, "Success criteria",
                      initial=item.success_criteria if item else None, multiline=True,
                      optional=True, max_length=ai.TEXT_MAX,
                      placeholder="Alert fires in staging when pool usage is over 80%",
                      hint=f"How you will know it is done, up to {ai.TEXT_MAX} characters."),
    ]
    if item:
        form.append(bk.select(ActionItemField.STATUS, "Status",
                              [(ai.STATUS_LABELS[s], s) for s in ai.STATUSES],
                              initial=item.status))
        form.append(bk.text_input(
            ActionItemField.WONT_DO_REASON, "Why it won't be done",
            initial=item.wont_do_reason, optional=True, multiline=True,
            max_length=ai.REASON_MAX,
            hint=f"Needed when the status is Won't do; up to {ai.REASON_MAX} characters."))
    meta = Meta(pm_id=pm_id, entry_id=item.id if item else None, extra=extra)
    title = f"Edit {ai.label(item)}" if item else "Add action item"
    return bk.modal(title, form, callback_id=Callback.ACTION_ITEM,
                    private_metadata=meta.dump(), submit="Save")


def read_item_form(
    values: dict[str, Any], *, now: datetime, tz: str, record: PostmortemRecord,
    current: ActionItemData | None,
) -> ai.ValidItem:
    """The form validated; errors come back keyed by block_id, all at once."""
    with errors_at(_BLOCK_OF):
        draft = ai.ItemDraft(
            title=text(values, ActionItemField.TITLE), owner=values.get(ActionItemField.OWNER),
            priority=values.get(ActionItemField.PRIORITY),
            category=values.get(ActionItemField.CATEGORY),
            due_on=day(values, ActionItemField.DUE),
            success_criteria=text(values, ActionItemField.CRITERIA) or None,
            status=values.get(ActionItemField.STATUS) if current else None,
            wont_do_reason=text(values, ActionItemField.WONT_DO_REASON, ai.REASON_MAX) or None,
        )
        return ai.validate_item(draft, now=now, tz=tz, resolved_at=record.incident.resolved_at,
                                current=current)
