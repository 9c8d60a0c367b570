"""Action items: the list modal (from the control message, paged), the add/edit modal pushed
on top of it, and the save: numbered AI-n, audited, noted in the thread, the owner told by
DM, the post-mortem closed or reopened when the item decides it (flows/closing.py)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack import action_item_news as news
from bot.slack.context import Ctx
from bot.slack.ids import Action, ActionItemField, Callback
from bot.slack.modals.action_item_views import (
    build_item_modal,
    build_list_modal,
    page_holding,
    read_item_form,
)
from bot.slack.people import user_info, user_tz
from bot.slack.router import Reply, Router
from bot.slack.trackers.push import configured_trackers, push_if_always
from bot.slack.values import require_id
from flows import action_item_changes as changes
from flows.action_item_changes import ADD_WHAT, Owner
from flows.errors import FieldErrors, NotFound
from flows.permissions import require_editor, require_workspace
from storage.queries import postmortems
from storage.record import ActionItemData, PostmortemRecord

log = logging.getLogger(__name__)


def register_listeners(router: Router) -> None:
    buttons = {Action.OPEN_ACTION_ITEMS: open_list, Action.ACTION_ITEM_PAGE: turn_page,
               Action.ACTION_ITEM_ADD: open_add, Action.ACTION_ITEM_EDIT: open_edit}
    for action_id, listener in buttons.items():
        router.action(action_id)(listener)
    router.view(Callback.ACTION_ITEM)(submit_item)
    router.view(Callback.ACTION_ITEMS)(close_list)


def _record(ctx: Ctx, pm_id: int) -> PostmortemRecord:
    with ctx.read() as session:
        return postmortems.load_summary(session, pm_id=pm_id)


def _list(ctx: Ctx, record: PostmortemRecord, page: int) -> dict[str, Any]:
    """The list as this viewer sees it: due dates on their calendar."""
    return build_list_modal(record, tz=user_tz(ctx.client, ctx.user_id), now=ctx.now(),
                            page=page, trackers=configured_trackers(ctx.deps))


def open_list(ctx: Ctx) -> None:
    record = _record(ctx, ctx.require_pm())
    require_workspace(record.postmortem, ctx.user_team_id)
    ctx.open_view(_list(ctx, record, 0))


def turn_page(ctx: Ctx) -> None:
    record = _record(ctx, ctx.require_pm())
    require_workspace(record.postmortem, ctx.user_team_id)
    page = ctx.value.partition(":")[2]
    # A full redraw from the database: whatever changed meanwhile shows, no hash needed.
    ctx.client.views_update(view_id=ctx.require_view()["id"],
                            view=_list(ctx, record, int(page) if page.isdigit() else 0))


def close_list(ctx: Ctx) -> Reply:
    return None  # the list has no submit button; acknowledge anything Slack sends anyway


def open_add(ctx: Ctx) -> None:
    _push_item_modal(ctx, None)


def open_edit(ctx: Ctx) -> None:
    _push_item_modal(ctx, require_id(ctx.value.partition(":")[2], "action item"))


def _item(record: PostmortemRecord, item_id: int | None) -> ActionItemData | None:
    item = next((a for a in record.action_items if a.id == item_id), None)
    if item_id is not None and item is None:
        raise NotFound("That action item no longer exists.")
    return item


def _push_item_modal(ctx: Ctx, item_id: int | None) -> None:
    record = _record(ctx, ctx.require_pm())
    require_editor(record.postmortem, ctx.user_id, ADD_WHAT, team_id=ctx.user_team_id)
    item = _item(record, item_id)
    view = ctx.view
    # The list underneath is redrawn after the save, on the page it showed.
    extra = ({"list": view["id"], "hash": view.get("hash"), "page": ctx.meta.page}
             if view.get("id") else {})
    ctx.open_view(build_item_modal(record.id, item, extra=extra))


def submit_item(ctx: Ctx) -> Reply:
    pm_id = ctx.require_pm()
    record = _record(ctx, pm_id)
    require_editor(record.postmortem, ctx.user_id, ADD_WHAT, team_id=ctx.user_team_id)
    current = _item(record, ctx.meta.entry_id)
    valid = read_item_form(ctx.values(), now=ctx.now(), tz=user_tz(ctx.client, ctx.user_id),
                           record=record, current=current)
    _check_person(ctx, valid.owner_id)
    owner = Owner(user_tz(ctx.client, valid.owner_id), ctx.deps.policy)
    now = ctx.now()
    with ctx.unit() as session:
        if current is None:
            change = changes.add_item(session, pm_id=pm_id, actor=ctx.actor, valid=valid,
                                      owner=owner, now=now)
            ctx.announce(session, pm_id, news.added_note(change.item))
        else:
            change = changes.update_item(session, item_id=current.id or 0, actor=ctx.actor,
                                         valid=valid, owner=owner, now=now)
            if change.changed:
                ctx.announce(session, pm_id, news.updated_note(change))
        if change.changed and change.item.owner_id != change.before_owner:
            ctx.queue(news.tell_owner(session, change, actor_id=ctx.user_id, now=now))
        ctx.queue(news.outcome(session, change, now=now))
    item_id = change.item.id or 0
    # A new item shows on its page; an edited one leaves the list where it was.
    ctx.later(lambda: _redraw_list(ctx, pm_id, focus=item_id if current is None else None))
    if current is None:
        ctx.later(lambda: _file_if_always(ctx, item_id))
    return None


def _file_if_always(ctx: Ctx, item_id: int) -> None:
    """After the answer: a tracker can be slow. Its failure is kept on the item, with Retry."""
    push_if_always(ctx.deps, item_id)


def _check_person(ctx: Ctx, user_id: str) -> None:
    """users_select offers bots and deactivated people too; neither will do the work."""
    person = user_info(ctx.client, user_id)
    if person.get("is_bot") or person.get("deleted"):
        raise FieldErrors({ActionItemField.OWNER: "Pick a person who is still here: bots and "
                                                  "deactivated accounts cannot own an action "
                                                  "item."})


def _redraw_list(ctx: Ctx, pm_id: int, *, focus: int | None) -> None:
    """Redraw the list under the item modal, guarded by the hash it had when the item modal
    was pushed; on a conflict the list is rebuilt from the database, so overwrite once."""
    meta = ctx.meta
    view_id = meta.extra.get("list")
    if not view_id:
        return
    record = _record(ctx, pm_id)
    page = page_holding(record, focus) if focus else int(meta.extra.get("page") or 0)
    view = _list(ctx, record, page)
    for hash_ in (meta.extra.get("hash"), None):
        try:
            ctx.client.views_update(view_id=view_id, hash=hash_, view=view)
            return
        except SlackApiError as err:
            if err.response.get("error") != "hash_conflict":
                # not_found: the user closed the list meanwhile; nothing to redraw.
                log.info("list view %s not redrawn: %s", view_id, err.response.get("error"))
                return
