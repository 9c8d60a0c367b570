"""The forms saved after their ack (bot/slack/inbox.py), by callback_id: the app registers
them, and the sweep saves any that a process acked but died before saving."""

from __future__ import annotations

from bot.slack.ids import Callback
from bot.slack.inbox import SavedAfterAck
from bot.slack.modals import timeline

FORMS: dict[str, SavedAfterAck] = {
    Callback.TIMELINE_ENTRY: timeline.ENTRY_FORM,
}
