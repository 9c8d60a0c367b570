"""The owner's DM about one action item and the two small modals its buttons open: a new due
date (from the weekly nudge) and why it won't be done. Pure builders; user text escaped."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.ids import Action, ActionItemBlock, Callback
from bot.slack.meta import Meta
from bot.slack.values import as_id
from flows import action_items as ai
from flows.errors import PostmortemError
from storage.tables import ActionItem, Incident

Message = dict[str, Any]
# One button per block: Slack wants action_ids unique within a block, and every status
# button shares Action.ACTION_ITEM_STATUS (the value says which status).
_STATUS_PROMPTS = {
    ai.IN_PROGRESS: ("Started on it?", "In progress", None),
    ai.DONE: ("Finished, and the success criteria are met?", "Done", "primary"),
    ai.WONT_DO: ("Decided not to do it? You will be asked why.", "Won't do", "danger"),
    ai.OPEN: ("Not finished after all?", "Reopen", None),
}


def status_value(item: ActionItem, status: str) -> str:
    """`"<action_item_id>:<status>"`: what a DM status button sets."""
    return f"{item.id}:{status}"


def parse_status_value(value: str) -> tuple[int, str]:
    item_id, _, status = value.partition(":")
    found = as_id(item_id)
    if found is None or status not in ai.STATUSES:
        raise PostmortemError("I could not tell which action item this button is for.")
    return found, status


def build_owner_dm(item: ActionItem, incident: Incident, *, note: str) -> Message:
    """The DM an owner gets on assignment: the item and buttons for its next statuses.
    `note` is the bot's own words (who did what, when)."""
    lbl = ai.label(item)
    due = ai.due_text(item.due_on)
    status = ai.STATUS_LABELS.get(item.status, item.status)
    reference = bk.escape(incident.reference)
    where = f"{reference}: {bk.escape(incident.title)}"
    blocks: list[bk.Block] = [
        bk.section(f":dart: You own *{lbl}* from the post-mortem for *{where}*"),
        bk.section(f"*{bk.escape(bk.clip(item.title, 2900))}*"),
        bk.fields([("Priority", item.priority), ("Category", item.category), ("Due", due),
                   ("Status", status)]),
    ]
    if item.success_criteria:
        blocks.append(bk.section(f"*Done when*\n{bk.escape(item.success_criteria)}"))
    if item.status == ai.WONT_DO and item.wont_do_reason:
        blocks.append(bk.section(f"*Why not*\n{bk.escape(item.wont_do_reason)}"))
    for target in sorted(ai.TRANSITIONS.get(item.status, ()), key=ai.STATUSES.index):
        prompt, text, style = _STATUS_PROMPTS[target]
        button = bk.button(text, Action.ACTION_ITEM_STATUS, status_value(item, target), style)
        blocks.append(bk.section(prompt, block_id=f"{ActionItemBlock.DM_STATUS}{target}",
                                 accessory=button))
    blocks.append(bk.context(note))
    title = bk.escape(bk.clip(item.title, 200))
    text = f"You own {lbl} ({reference}): {title} — {status}, due {due}"
    return {"text": text, "blocks": blocks}


def _item_head(item: ActionItem) -> bk.Block:
    return bk.section(f"*{ai.label(item)}* {bk.escape(bk.clip(item.title, 2900))}")


def build_due_modal(item: ActionItem, meta: Meta) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if item.due_on:
        element["initial_date"] = item.due_on.isoformat()
    blocks = [
        _item_head(item),
        bk.input_block(ActionItemBlock.NUDGE_DUE_DATE, "New due date", element,
                       hint="Say in the post-mortem thread why it moved, if it matters."),
    ]
    return bk.modal("Change due date", blocks, callback_id=Callback.NUDGE_DUE,
                    private_metadata=meta.dump(), submit="Move")


def build_wont_do_modal(item: ActionItem, meta: Meta) -> dict[str, Any]:
    """Won't do needs a reason: asked here, stored on the item and in the audit trail."""
    blocks = [
        _item_head(item),
        bk.text_input(
            ActionItemBlock.WONT_DO_REASON, "Why won't it be done?", multiline=True,
            max_length=ai.REASON_MAX,
            placeholder="Superseded by AI-4: the new pool manager removes the risk",
            hint=f"Shown beside the item in the post-mortem and its thread; up to "
                 f"{ai.REASON_MAX} characters.",
        ),
    ]
    return bk.modal("Won't do", blocks, callback_id=Callback.WONT_DO,
                    private_metadata=meta.dump(), submit="Mark won't do")
