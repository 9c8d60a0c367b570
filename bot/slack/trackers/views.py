"""Slack messages about action items in trackers: push buttons, pushed, failed with Retry."""

from __future__ import annotations

from typing import Any

from bot.integrations.model import TRACKER_NAMES
from bot.slack import blocks as bk
from bot.slack.ids import Action, ActionItemBlock

ACTION_OF_TRACKER = {"github": Action.TRACKER_GITHUB, "jira": Action.TRACKER_JIRA}


def build_tracker_buttons(item_id: int, trackers: list[str]) -> list[dict[str, Any]]:
    """ "Create GitHub issue" / "Create Jira issue" buttons for the trackers configured."""
    return [
        bk.button(f"Create {TRACKER_NAMES[t]} issue", ACTION_OF_TRACKER[t], str(item_id))
        for t in trackers
        if t in ACTION_OF_TRACKER
    ]


def build_pushed_note(item_number: int, title: str, tracker: str, url: str, ref: str) -> str:
    label = ref.split(":", 1)[1] if ":" in ref else ref
    return (
        f":link: Action item #{item_number} “{bk.escape(bk.clip(title, 200))}” is now "
        f"<{url}|{bk.escape(label)}> in {TRACKER_NAMES.get(tracker, tracker)}."
    )


def build_push_failed(
    item_id: int, item_number: int, title: str, tracker: str, error: str
) -> dict[str, Any]:
    """`text` and `blocks`: the tracker's error and a Retry button (value = action item id)."""
    name = TRACKER_NAMES.get(tracker, tracker)
    text = bk.escape(
        f":warning: Could not create a {name} issue for action item #{item_number} "
        f"“{bk.clip(title, 200)}”: {error}. The action item is kept; press Retry when {name} "
        "is back."
    )
    blocks = [
        bk.section(text),
        bk.actions([bk.button("Retry", Action.TRACKER_RETRY, str(item_id), style="primary")],
                   block_id=ActionItemBlock.TRACKER_RETRY),
    ]
    return {"text": bk.clip(text, 3000), "blocks": blocks}
