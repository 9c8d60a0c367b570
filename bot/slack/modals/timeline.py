"""The timeline: a paged list modal from the control message, and the entry modal it pushes
for adding and editing. Anyone in the incident channel adds; people change their own
entries, the editors anyone's — checked at the button and again at the submission."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.context import Ctx
from bot.slack.ids import Action, Callback
from bot.slack.inbox import SavedAfterAck
from bot.slack.meta import Meta
from bot.slack.modals.paging import tail_number
from bot.slack.modals.timeline_views import (
    Prefill,
    build_entry_modal,
    build_timeline_modal,
    default_day,
    entry_prefill_meta,
    incident_day_meta,
    note,
    read_entry_form,
    time_context,
)
from bot.slack.people import membership, user_tz
from bot.slack.router import Reply, Router
from bot.slack.values import require_id
from flows import timeline as tl
from flows import timeline_entries
from flows.milestones import suggest_milestone
from flows.owned import delete_owned, owned_row
from flows.permissions import require_participant, require_workspace
from storage.queries import postmortems
from storage.tables import Postmortem, TimelineEntry

log = logging.getLogger(__name__)


def _pm(ctx: Ctx) -> Postmortem:
    with ctx.read() as session:
        return postmortems.get_postmortem(session, pm_id=ctx.require_pm())


def _entry_id(ctx: Ctx) -> int:
    return require_id(ctx.value.partition(":")[2], "timeline entry")


def _tz(ctx: Ctx) -> str:
    return str(ctx.meta.extra.get("tz") or "UTC")


def open_timeline(ctx: Ctx) -> None:
    with ctx.read() as session:
        record = postmortems.load_summary(session, pm_id=ctx.require_pm())
    require_workspace(record.postmortem, ctx.user_team_id)
    tz = user_tz(ctx.client, ctx.user_id)
    ctx.open_view(build_timeline_modal(record, page=0, tz=tz))


def turn_page(ctx: Ctx) -> None:
    refresh_list(ctx, view_id=ctx.view.get("id"), view_hash=ctx.view.get("hash"),
                 page=tail_number(ctx.value))


def open_add(ctx: Ctx) -> None:
    pm = _pm(ctx)
    require_participant(pm, ctx.actor, in_channel=membership(ctx.client, pm.channel_id,
                                                             ctx.user_id))
    push_entry_modal(ctx, pm, None)


def open_edit(ctx: Ctx) -> None:
    with ctx.read() as session:
        pm, entry = owned_row(session, TimelineEntry, pm_id=ctx.require_pm(),
                              row_id=_entry_id(ctx), actor=ctx.actor,
                              what="change someone else's entry", missing=timeline_entries.GONE)
    push_entry_modal(ctx, pm, entry)


def push_entry_modal(ctx: Ctx, pm: Postmortem, entry: TimelineEntry | None) -> None:
    tz = _tz(ctx)
    _, incident = ctx.require_named()
    extra: dict[str, Any] = {"tz": tz, "list": ctx.view.get("id"), "hash": ctx.view.get("hash"),
                             "page": ctx.meta.page, **incident_day_meta(incident, tz, ctx.now())}
    prefill = Prefill()
    if entry is not None:
        typed = tl.typed_form(entry.occurred_at, tz)
        extra.update(entry_prefill_meta(entry.occurred_at, tz, typed))
        prefill = Prefill(typed=typed, text=entry.text, actor=entry.actor or "",
                          milestone=entry.milestone or suggest_milestone(entry.text))
    meta = Meta(pm_id=pm.id, channel_id=pm.channel_id, entry_id=entry.id if entry else None,
                extra=extra)
    ctx.open_view(build_entry_modal(
        title="Edit entry" if entry else "Add timeline entry",
        callback_id=Callback.TIMELINE_ENTRY, meta=meta, prefill=prefill, tz=tz))


def delete_entry(ctx: Ctx) -> None:
    pm_id = ctx.require_pm()
    with ctx.unit() as session:
        entry = delete_owned(session, timeline_entries.ENTRY, pm_id=pm_id,
                             row_id=_entry_id(ctx), actor=ctx.actor, now=ctx.now())
        ctx.announce(session, pm_id, note("deleted a timeline entry", entry))
    refresh_list(ctx, view_id=ctx.view.get("id"), view_hash=ctx.view.get("hash"),
                 page=ctx.meta.page)


def entry_context(ctx: Ctx) -> tl.TimeContext:
    _, incident = ctx.require_named()
    return time_context(ctx.meta, tl.incident_day(incident, _tz(ctx), ctx.now()), ctx.now())


def check_entry_form(ctx: Ctx) -> None:
    """Before the ack: the form's fields, read against the incident's day its modal carries
    (a modal opened before it carried one reads the incident)."""
    day = default_day(ctx.meta, ctx.now())
    if day is None:
        read_entry_form(ctx.values(), entry_context(ctx))
    else:
        read_entry_form(ctx.values(), time_context(ctx.meta, day, ctx.now()))


def submit_entry(ctx: Ctx) -> Reply:
    pm_id, meta = ctx.require_pm(), ctx.meta
    draft = read_entry_form(ctx.values(), entry_context(ctx))
    named, _ = ctx.require_named()
    # Slack is asked (at most once) before the write transaction, never while holding it.
    in_channel = cache(membership(ctx.client, named.channel_id, ctx.user_id))
    if meta.entry_id is None:
        require_participant(named, ctx.actor, in_channel=in_channel)
    with ctx.unit() as session:
        if meta.entry_id is None:
            entry = timeline_entries.add_entry(
                session, pm_id=pm_id, actor=ctx.actor, draft=draft, now=ctx.now(),
                in_channel=in_channel)
        else:
            entry = timeline_entries.edit_entry(session, pm_id=pm_id, entry_id=meta.entry_id,
                                                actor=ctx.actor, draft=draft, now=ctx.now())
        assert entry is not None  # only a captured message can already be there
        verb = "added" if meta.entry_id is None else "edited"
        ctx.announce(session, pm_id, note(f"{verb} a timeline entry", entry))
    list_id = meta.extra.get("list") or ctx.view.get("previous_view_id")
    ctx.later(lambda: refresh_list(ctx, view_id=list_id, view_hash=meta.extra.get("hash"),
                                   page=int(meta.extra.get("page") or 0), focus=entry.id))
    return None


def submit_list(ctx: Ctx) -> Reply:
    # The list has no submit button; acknowledge anything Slack sends anyway.
    return None


def refresh_list(
    ctx: Ctx, *, view_id: str | None, view_hash: str | None, page: int,
    focus: int | None = None,
) -> None:
    """Redraw the list modal; on a hash conflict (our own racing redraw) read again, retry once."""
    if not view_id:
        return
    for attempt in (1, 2):
        with ctx.read() as session:
            record = postmortems.load_summary(session, pm_id=ctx.require_pm())
        require_workspace(record.postmortem, ctx.user_team_id)
        if focus is not None:
            page = tl.page_holding(tl.ordered(record.timeline), focus)
        args: dict[str, Any] = {"view_id": view_id,
                                "view": build_timeline_modal(record, page=page, tz=_tz(ctx))}
        if view_hash and attempt == 1:
            args["hash"] = view_hash
        try:
            ctx.client.views_update(**args)
            return
        except SlackApiError as err:
            code = err.response.get("error")
            if code == "hash_conflict" and attempt == 1:
                continue
            log.warning("post-mortem %s: timeline views.update failed: %s", record.id, code)
            return


# Saved after its ack (bot/slack/inbox.py): a burst of entries in a busy incident channel.
ENTRY_FORM = SavedAfterAck(check=check_entry_form, save=submit_entry)


def register_listeners(router: Router) -> None:
    clicks = ((Action.OPEN_TIMELINE, open_timeline), (Action.TIMELINE_PAGE, turn_page),
              (Action.TIMELINE_ADD, open_add), (Action.TIMELINE_EDIT, open_edit),
              (Action.TIMELINE_DELETE, delete_entry))
    for action_id, on_click in clicks:
        router.action(action_id)(on_click)
    router.view(Callback.TIMELINE)(submit_list)
