"""Redrawing the DM a button was clicked in, so a second click finds the new state: the
owner's assignment DM and the weekly nudge. chat.update of the bot's own message; a message
gone meanwhile is logged, not raised."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.home.publish import from_home, show_home
from bot.slack.people import user_tz
from bot.slack.reminders.dm_views import build_owner_dm
from bot.slack.reminders.views import build_nudge
from flows import action_items as ai
from flows.action_item_changes import ItemChange
from flows.reminders.nudge import nudge_for

log = logging.getLogger(__name__)


def clicked_message(ctx: Ctx) -> tuple[str | None, str | None]:
    """The channel and ts of the message whose button was clicked."""
    container = ctx.body.get("container") or {}
    channel = ctx.channel_id or container.get("channel_id")
    ts = container.get("message_ts") or (ctx.body.get("message") or {}).get("ts")
    return channel, ts


def update_message(
    client: WebClient, channel: str | None, ts: str | None, message: dict[str, Any]
) -> None:
    if not (channel and ts):
        return
    try:
        client.chat_update(channel=channel, ts=ts, **message)
    except SlackApiError as err:
        log.warning("could not redraw DM %s/%s: %s", channel, ts, err.response.get("error"))


def redraw_owner_dm(ctx: Ctx, change: ItemChange, channel: str | None, ts: str | None) -> None:
    """The assignment DM with the item's new status and the buttons that follow from it."""
    state = ai.STATUS_LABELS[change.item.status].lower()
    if from_home(ctx):
        show_home(ctx, note=f":white_check_mark: {ai.label(change.item)} is {state}.")
        return
    note = f"{bk.user(ctx.user_id)} set it to {state} {bk.slack_date(ctx.now())}."
    update_message(ctx.client, channel, ts, build_owner_dm(change.item, change.incident,
                                                           note=note))


def redraw_nudge(ctx: Ctx, channel: str | None, ts: str | None, *, note: str) -> None:
    """The weekly nudge redrawn from what is open now, with `note` saying what just changed;
    the Home tab instead when the click came from it."""
    if from_home(ctx):
        show_home(ctx, note=note)
        return
    if not (channel and ts):
        return
    tz = user_tz(ctx.client, ctx.user_id)
    with ctx.read() as session:
        nudge = nudge_for(session, owner_id=ctx.user_id, tz=tz, now=ctx.now())
    if nudge.items:
        message = build_nudge(ctx.user_id, nudge.items, today=nudge.today)
        message["blocks"] = [bk.context(note), *message["blocks"]]
    else:
        text = "Nothing left to nudge you about this week."
        message = {"text": text, "blocks": [bk.section(f"{note}\n:tada: {text}")]}
    update_message(ctx.client, channel, ts, message)
