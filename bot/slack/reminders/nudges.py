"""Buttons in the owner's DMs: the status buttons sent on assignment (won't do asks why in a
modal) and the weekly nudge's done / in progress / snooze / change due date. Each change is
audited and noted in the post-mortem's thread (flows/action_item_changes.py), and the DM is
redrawn in place so a second click finds the new state (dm_redraw.py)."""

from __future__ import annotations

from bot.slack import action_item_news as news
from bot.slack.context import Ctx
from bot.slack.forms import day, errors_at, text
from bot.slack.ids import Action, ActionItemBlock, Callback
from bot.slack.meta import Meta
from bot.slack.people import user_tz
from bot.slack.reminders.dm_redraw import clicked_message, redraw_nudge, redraw_owner_dm
from bot.slack.reminders.dm_views import build_due_modal, build_wont_do_modal, parse_status_value
from bot.slack.reminders.views import parse_item_value
from bot.slack.router import Reply, Router
from flows import action_item_changes as changes
from flows import action_items as ai
from flows.action_item_changes import ItemChange, Owner
from flows.errors import FieldErrors
from storage.queries import action_items, postmortems
from storage.tables import ActionItem

REASON_AT = {"wont_do_reason": ActionItemBlock.WONT_DO_REASON}
DUE_AT = {"due_on": ActionItemBlock.NUDGE_DUE_DATE}


def register_listeners(router: Router) -> None:
    # The assignment DM's buttons, then the weekly nudge's; each modal's submit after its button.
    router.action(Action.ACTION_ITEM_STATUS)(dm_status)
    router.view(Callback.WONT_DO)(submit_wont_do)
    nudge = {Action.NUDGE_DONE: nudge_done, Action.NUDGE_PROGRESS: nudge_in_progress,
             Action.NUDGE_SNOOZE: nudge_snooze, Action.NUDGE_DUE: open_due}
    for action_id, listener in nudge.items():
        router.action(action_id)(listener)
    router.view(Callback.NUDGE_DUE)(submit_due)


def _owner(ctx: Ctx, item_id: int) -> Owner:
    # Read before the write transaction: a Slack call must not hold SQLite's write lock.
    with ctx.read() as session:
        owner_id = action_items.get_item(session, item_id=item_id).owner_id
    return Owner(user_tz(ctx.client, owner_id) if owner_id else None, ctx.deps.policy)


def _set_status(
    ctx: Ctx, item_id: int, status: str, *, reason: str | None = None, open_only: bool = False
) -> ItemChange:
    """Saved, audited and noted in the thread; a repeated click says nothing."""
    owner = _owner(ctx, item_id)
    with ctx.unit() as session:
        change = changes.set_status(session, item_id=item_id, status=status, actor=ctx.actor,
                                    owner=owner, now=ctx.now(), reason=reason,
                                    open_only=open_only)
        if change.changed:
            ctx.announce(session, change.item.postmortem_id, news.status_note(change))
            ctx.queue(news.outcome(session, change, now=ctx.now()))
    return change


def _checked_item(ctx: Ctx, item_id: int, what: str) -> ActionItem:
    """The item, when this user may change it: refused before any modal opens."""
    with ctx.read() as session:
        item = action_items.get_item(session, item_id=item_id)
        pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
    ai.require_status_change(pm, item, ctx.user_id, what, team_id=ctx.user_team_id)
    return item


def dm_status(ctx: Ctx) -> None:
    item_id, status = parse_status_value(ctx.value)
    channel, ts = clicked_message(ctx)
    if status == ai.WONT_DO:
        item = _checked_item(ctx, item_id, "change its status")
        ai.next_status(item.status, ai.WONT_DO)  # "reopen it first" before asking why
        meta = Meta(pm_id=item.postmortem_id, channel_id=channel, entry_id=item_id,
                    extra={"ts": ts} if ts else {})
        ctx.open_view(build_wont_do_modal(item, meta))
        return
    redraw_owner_dm(ctx, _set_status(ctx, item_id, status), channel, ts)


def submit_wont_do(ctx: Ctx) -> Reply:
    item_id = ctx.meta.entry_id
    if item_id is None:
        raise FieldErrors({ActionItemBlock.WONT_DO_REASON: "I lost track of the item: "
                                                           "click Won't do again."})
    reason = text(ctx.values(), ActionItemBlock.WONT_DO_REASON, ai.REASON_MAX)
    with errors_at(REASON_AT):
        change = _set_status(ctx, item_id, ai.WONT_DO, reason=reason)
    channel, ts = ctx.meta.channel_id, ctx.meta.extra.get("ts")
    ctx.later(lambda: redraw_owner_dm(ctx, change, channel, ts))
    return None


def nudge_done(ctx: Ctx) -> None:
    _nudge_status(ctx, ai.DONE)


def nudge_in_progress(ctx: Ctx) -> None:
    _nudge_status(ctx, ai.IN_PROGRESS)


def _nudge_status(ctx: Ctx, status: str) -> None:
    change = _set_status(ctx, parse_item_value(ctx.value), status, open_only=True)
    state = ai.STATUS_LABELS[change.item.status].lower()
    redraw_nudge(ctx, *clicked_message(ctx),
                 note=f":white_check_mark: {ai.label(change.item)} is {state}.")


def nudge_snooze(ctx: Ctx) -> None:
    """Out of the owner's nudges for a week: audited, nothing for the thread."""
    with ctx.unit() as session:
        change = changes.snooze(session, item_id=parse_item_value(ctx.value), actor=ctx.actor,
                                now=ctx.now())
    redraw_nudge(ctx, *clicked_message(ctx),
                 note=f":zzz: {ai.label(change.item)} is snoozed for a week.")


def open_due(ctx: Ctx) -> None:
    item = _checked_item(ctx, parse_item_value(ctx.value), "change its due date")
    channel, ts = clicked_message(ctx)
    meta = Meta(pm_id=item.postmortem_id, channel_id=channel, entry_id=item.id,
                extra={"ts": ts} if ts else {})
    ctx.open_view(build_due_modal(item, meta))


def submit_due(ctx: Ctx) -> Reply:
    due_on = day(ctx.values(), ActionItemBlock.NUDGE_DUE_DATE)
    item_id = ctx.meta.entry_id
    if due_on is None or item_id is None:
        raise FieldErrors({ActionItemBlock.NUDGE_DUE_DATE: "Pick the new due date."})
    tz, owner = user_tz(ctx.client, ctx.user_id), _owner(ctx, item_id)
    with errors_at(DUE_AT), ctx.unit() as session:
        change = changes.move_due(session, item_id=item_id, due_on=due_on, actor=ctx.actor,
                                  owner=owner, tz=tz, now=ctx.now())
        if change.changed:
            ctx.announce(session, change.item.postmortem_id, news.due_note(change))
    note = f":calendar: {ai.label(change.item)} is now due {ai.due_text(change.item.due_on)}."
    ctx.later(lambda: redraw_nudge(ctx, ctx.meta.channel_id, ctx.meta.extra.get("ts"),
                                   note=note))
    return None
