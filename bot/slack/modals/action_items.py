"""Action items: the list modal (from the control message), the add/edit modal pushed on top
of it, and the save: numbered AI-n, audited, noted in the thread, the owner told by DM."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.deps import Deps
from bot.integrations.push import configured_trackers, on_action_item_created
from bot.slack import blocks as bk
from bot.slack.forms import day, text, view_values
from bot.slack.ids import Action, Callback
from bot.slack.meta import Meta, meta_of
from bot.slack.modals.common import action_pm_id, announce, load_record, open_view
from bot.slack.people import user_info, user_tz
from bot.slack.reminders.nudges import build_owner_dm, settle_reminders, shows_refusals
from bot.slack.tracker_views import build_tracker_buttons
from flows import action_items as ai
from flows.errors import FieldErrors, PostmortemError
from flows.permissions import require_editor
from flows.reminders.plan import Change
from storage.db import session_scope
from storage.queries import audit, keys, postmortems
from storage.record import PostmortemRecord
from storage.tables import ActionItem

log = logging.getLogger(__name__)

# Two people adding at once may both compute the same AI-n; the loser retries with the next.
NUMBER_ATTEMPTS = 5
# A modal holds 100 blocks; the list spends 4 on its head and one per item.
LIST_MAX_ITEMS = 90
ADD_WHAT = "add or edit action items"


class Field(StrEnum):
    """block_ids of the add/edit modal."""

    TITLE = "pm.action_item.title"
    OWNER = "pm.action_item.owner"
    DUE = "pm.action_item.due"
    PRIORITY = "pm.action_item.priority"
    CATEGORY = "pm.action_item.category"
    CRITERIA = "pm.action_item.success_criteria"
    STATUS = "pm.action_item.status"


_FIELD_OF = {
    "title": Field.TITLE, "owner": Field.OWNER, "due_on": Field.DUE,
    "priority": Field.PRIORITY, "category": Field.CATEGORY,
    "success_criteria": Field.CRITERIA, "status": Field.STATUS,
}


def _item_line(item: ActionItem, today: Any) -> str:
    due = ai.due_text(item.due_on)
    if ai.is_overdue(item, today):
        due += " :warning: *overdue*"
    tracker = ""
    if item.tracker_url:
        tracker = f" · <{item.tracker_url}|{bk.escape(item.tracker_ref or 'tracker')}>"
    elif item.tracker_error:
        tracker = " · :warning: not in the tracker yet"
    status = ai.STATUS_LABELS.get(item.status, item.status)
    return (
        f"*{ai.label(item)}* {bk.escape(bk.clip(item.title, 300))}\n"
        f"{bk.user(item.owner_id)} · due {due} · {item.priority} · {item.category} · "
        f"{status}{tracker}"
    )


def build_list_modal(
    record: PostmortemRecord, *, tz: str, now: datetime, trackers: list[str] | None = None
) -> dict[str, Any]:
    """Every item with owner, due date (overdue as the viewer's calendar says), priority,
    status and tracker link; "Add", one "Edit" per item, and "Create … issue" buttons for the
    configured `trackers` on open items not filed yet."""
    pm_id = record.id
    today = ai.local_date(now, tz)
    items = record.action_items
    still_open = sum(1 for a in items if a.status in ai.OPEN_STATUSES)
    blocks: list[bk.Block] = [
        bk.section(f"*{bk.escape(record.incident.reference)}: "
                   f"{bk.escape(record.incident.title)}*"),
        bk.context(f"{len(items)} action items, {still_open} open. Each has one owner, a "
                   "priority (P0/P1 two weeks, P2 a month, P3 backlog) and a clear definition "
                   "of done."),
        bk.actions([bk.button("Add action item", Action.ACTION_ITEM_ADD, str(pm_id), "primary")],
                   block_id="pm.action_items.actions"),
        bk.divider(),
    ]
    for item in items[:LIST_MAX_ITEMS]:
        edit = bk.button("Edit", Action.ACTION_ITEM_EDIT, f"{pm_id}:{item.id}")
        blocks.append(bk.section(_item_line(item, today), block_id=f"pm.action_items.{item.id}",
                                 accessory=edit))
        if trackers and not item.tracker_url and item.status in ai.OPEN_STATUSES:
            assert item.id is not None
            blocks.append(bk.actions(build_tracker_buttons(item.id, trackers),
                                     block_id=f"pm.action_items.tracker.{item.id}"))
    if not items:
        blocks.append(bk.section("_No action items yet._"))
    elif len(items) > LIST_MAX_ITEMS:
        blocks.append(bk.context(f"…and {len(items) - LIST_MAX_ITEMS} more: see the document."))
    return bk.modal("Action items", blocks, callback_id="pm.action_items.list", submit=None,
                    close="Close", private_metadata=Meta(pm_id=pm_id).dump())


def build_item_modal(
    pm_id: int, item: ActionItem | None, *, extra: dict[str, Any]
) -> dict[str, Any]:
    owner: dict[str, Any] = {"type": "users_select", "action_id": "value"}
    due: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if item and item.owner_id:
        owner["initial_user"] = item.owner_id
    if item and item.due_on:
        due["initial_date"] = item.due_on.isoformat()
    form = [
        bk.text_input(Field.TITLE, "What will be done", initial=item.title if item else None,
                      multiline=True, max_length=ai.TEXT_MAX,
                      placeholder="Add an alert when DB pool usage goes over 80%"),
        bk.input_block(Field.OWNER, "Owner", owner,
                       hint="One person who answers for it, not a team. They get a DM."),
        bk.select(Field.PRIORITY, "Priority", list(zip(ai.PRIORITY_LABELS.values(),
                                                       ai.PRIORITIES, strict=True)),
                  initial=item.priority if item else None),
        bk.input_block(Field.DUE, "Due date", due, optional=True,
                       hint="Empty: the priority's deadline from the incident's resolution."),
        bk.select(Field.CATEGORY, "Category", [(c, c) for c in ai.CATEGORIES],
                  initial=item.category if item else None),
        bk.text_input(Field.CRITERIA, "Success criteria",
                      initial=item.success_criteria if item else None, multiline=True,
                      optional=True, max_length=ai.TEXT_MAX,
                      placeholder="Alert fires in staging when pool usage is over 80%"),
    ]
    if item:
        form.append(bk.select(Field.STATUS, "Status",
                              [(ai.STATUS_LABELS[s], s) for s in ai.STATUSES],
                              initial=item.status))
    meta = Meta(pm_id=pm_id, entry_id=item.id if item else None, extra=extra)
    title = f"Edit {ai.label(item)}" if item else "Add action item"
    return bk.modal(title, form, callback_id=Callback.ACTION_ITEM,
                    private_metadata=meta.dump(), submit="Save")


def read_item_form(
    values: dict[str, Any], *, now: datetime, tz: str, record: PostmortemRecord,
    current: ActionItem | None,
) -> ai.ValidItem:
    """The form validated; errors come back keyed by block_id, all at once."""
    try:
        due_on = day(values, Field.DUE)
    except FieldErrors as err:
        raise FieldErrors({Field.DUE: next(iter(err.errors.values()))}) from err
    draft = ai.ItemDraft(
        title=text(values, Field.TITLE), owner=values.get(Field.OWNER),
        priority=values.get(Field.PRIORITY), category=values.get(Field.CATEGORY),
        due_on=due_on, success_criteria=text(values, Field.CRITERIA) or None,
        status=values.get(Field.STATUS) if current else None,
    )
    try:
        return ai.validate_item(draft, now=now, tz=tz, resolved_at=record.incident.resolved_at,
                                current=current)
    except FieldErrors as err:
        raise FieldErrors({str(_FIELD_OF[k]): v for k, v in err.errors.items()}) from err


def _check_person(client: WebClient, user_id: str) -> None:
    """users_select offers bots and deactivated people too; neither will do the work."""
    person = user_info(client, user_id)
    if person.get("is_bot") or person.get("deleted"):
        raise FieldErrors({Field.OWNER: "Pick a person who is still here: bots and "
                                        "deactivated accounts cannot own an action item."})


def _numbers(session: Session, pm_id: int) -> list[int]:
    return list(session.exec(select(ActionItem.number).where(ActionItem.postmortem_id == pm_id)))


def insert_numbered(session: Session, fields: dict[str, Any]) -> ActionItem:
    """Insert with the next AI-n; on the UNIQUE(postmortem_id, number) violation of a racing
    insert, read the new highest number and try again (a savepoint keeps the transaction)."""
    for _ in range(NUMBER_ATTEMPTS):
        item = ActionItem(number=ai.next_number(_numbers(session, fields["postmortem_id"])),
                          **fields)
        try:
            with session.begin_nested():
                session.add(item)
                session.flush()
            return item
        except IntegrityError:
            continue
    raise PostmortemError("Several people are adding action items right now: please save again.")


def _claimed(session: Session, deps: Deps, body: dict[str, Any]) -> bool:
    # common.once's key, claimed in the saving transaction: a double-clicked submit saves once,
    # and a save that fails does not leave the key behind to swallow the user's retry.
    view = body["view"]
    key = f"view:{view.get('id')}:{view.get('hash', '')}"
    return keys.claim_key(session, key=key, now=deps.now())


def create_item(
    deps: Deps, body: dict[str, Any], pm_id: int, valid: ai.ValidItem, *, actor: str,
    owner_tz: str,
) -> ActionItem | None:
    """The new item with its audit event and owner's nudge; None for a repeated submit."""
    now = deps.now()
    with session_scope(deps.sessions) as session:
        if not _claimed(session, deps, body):
            return None
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        require_editor(pm, actor, ADD_WHAT)
        item = insert_numbered(session, {
            "postmortem_id": pm_id, "title": valid.title, "owner_id": valid.owner_id,
            "due_on": valid.due_on, "priority": valid.priority, "category": valid.category,
            "success_criteria": valid.success_criteria, "status": ai.OPEN,
            "created_by": actor, "created_at": now, "updated_at": now,
        })
        pm.updated_at = now
        session.add(pm)
        audit.add_event(session, pm_id=pm_id, actor_id=actor, at=now,
                          kind="action_item.added",
                          summary=f"added {ai.label(item)} “{bk.clip(valid.title, 200)}”",
                          detail={"item_id": item.id, "owner_id": valid.owner_id,
                                  "priority": valid.priority})
        settle_reminders(session, deps, item, owner_tz=owner_tz)
    return item


def update_item(
    deps: Deps, body: dict[str, Any], item_id: int, valid: ai.ValidItem, *, actor: str,
    owner_tz: str,
) -> tuple[ActionItem, list[str], str | None] | None:
    """(item, changes in words, previous owner); None for a repeated submit."""
    now = deps.now()
    with session_scope(deps.sessions) as session:
        if not _claimed(session, deps, body):
            return None
        item = session.get(ActionItem, item_id)
        if item is None:
            raise PostmortemError("That action item no longer exists.")
        pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
        require_editor(pm, actor, ADD_WHAT)
        before_owner, before_due, before_status = item.owner_id, item.due_on, item.status
        changes = ai.apply_changes(item, valid, now)
        if changes:
            pm.updated_at = now
            session.add_all([item, pm])
            audit.add_event(session, pm_id=item.postmortem_id, actor_id=actor, at=now,
                              kind="action_item.updated",
                              summary=f"updated {ai.label(item)}: {', '.join(changes)}",
                              detail={"item_id": item_id, "changes": changes})
            change = None
            if item.status != before_status and item.status in (ai.DONE, ai.WONT_DO):
                change = Change.ITEM_DONE if item.status == ai.DONE else Change.ITEM_WONT_DO
            elif item.owner_id != before_owner:
                change = Change.OWNER_CHANGED
            elif item.due_on != before_due:
                change = Change.DUE_MOVED
            settle_reminders(session, deps, item, owner_tz=owner_tz, change=change)
    return item, changes, before_owner


def tell_owner(deps: Deps, client: WebClient, item: ActionItem, *, actor: str) -> None:
    """DM the owner the item with its status buttons; a Slack refusal is logged, not raised."""
    if not item.owner_id:
        return
    record = load_record(deps, item.postmortem_id)
    note = f"<@{actor}> assigned this to you {bk.slack_date(deps.now())}."
    try:
        client.chat_postMessage(channel=item.owner_id,
                                **build_owner_dm(item, record.incident, note=note))
    except SlackApiError as err:
        log.warning("DM to owner %s failed: %s", item.owner_id, err.response.get("error"))


def refresh_list(deps: Deps, client: WebClient, meta: Meta, *, tz: str) -> None:
    """Redraw the list modal under the item modal, guarded by the hash it had when the item
    modal was pushed; on a conflict the list is rebuilt from the database, so overwrite once."""
    view_id = meta.extra.get("list")
    if not view_id or meta.pm_id is None:
        return
    view = build_list_modal(load_record(deps, meta.pm_id), tz=tz, now=deps.now(),
                            trackers=configured_trackers(deps))
    for hash_ in (meta.extra.get("hash"), None):
        try:
            client.views_update(view_id=view_id, hash=hash_, view=view)
            return
        except SlackApiError as err:
            if err.response.get("error") != "hash_conflict":
                # not_found: the user closed the list meanwhile; nothing to redraw.
                log.info("list view %s not redrawn: %s", view_id, err.response.get("error"))
                return


def _tell_trackers(deps: Deps, client: WebClient, item_id: int) -> None:
    try:
        on_action_item_created(deps, client, item_id)
    except Exception:
        # A tracker outage must not undo or hide the saved item; the tracker keeps its error.
        log.exception("tracker hook failed for action item %s", item_id)


def register(app: App, deps: Deps) -> None:
    @app.action(Action.OPEN_ACTION_ITEMS)
    @shows_refusals
    def handle_open_list(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        record = load_record(deps, action_pm_id(body))
        tz = user_tz(client, body["user"]["id"])
        open_view(client, body, build_list_modal(record, tz=tz, now=deps.now(),
                                                  trackers=configured_trackers(deps)))

    def push_item_modal(body: dict[str, Any], client: WebClient, item_id: int | None) -> None:
        pm_id = action_pm_id(body)
        record = load_record(deps, pm_id)
        require_editor(record.postmortem, body["user"]["id"], ADD_WHAT)
        item = next((a for a in record.action_items if a.id == item_id), None)
        if item_id is not None and item is None:
            raise PostmortemError("That action item no longer exists.")
        view = body.get("view") or {}
        extra = {"list": view["id"], "hash": view.get("hash")} if view.get("id") else {}
        open_view(client, body, build_item_modal(pm_id, item, extra=extra))

    @app.action(Action.ACTION_ITEM_ADD)
    @shows_refusals
    def handle_add(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        push_item_modal(body, client, None)

    @app.action(Action.ACTION_ITEM_EDIT)
    @shows_refusals
    def handle_edit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        _, _, item_id = str(body["actions"][0].get("value") or "").partition(":")
        if not item_id.isdigit():
            raise PostmortemError("I could not tell which action item to edit.")
        push_item_modal(body, client, int(item_id))

    @app.view(Callback.ACTION_ITEM)
    def handle_item_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        actor, meta = body["user"]["id"], meta_of(body)
        tz = user_tz(client, actor)
        try:
            if meta.pm_id is None:
                raise PostmortemError("I could not tell which post-mortem this is for.")
            record = load_record(deps, meta.pm_id)
            current = next((a for a in record.action_items if a.id == meta.entry_id), None)
            if meta.entry_id is not None and current is None:
                raise PostmortemError("That action item no longer exists.")
            require_editor(record.postmortem, actor, ADD_WHAT)
            valid = read_item_form(view_values(body["view"]), now=deps.now(), tz=tz,
                                   record=record, current=current)
            _check_person(client, valid.owner_id)
            owner_tz = user_tz(client, valid.owner_id)
            if current is None:
                created = create_item(deps, body, meta.pm_id, valid, actor=actor,
                                      owner_tz=owner_tz)
                updated = None
            else:
                created = None
                updated = update_item(deps, body, current.id or 0, valid, actor=actor,
                                      owner_tz=owner_tz)
        except FieldErrors as err:
            ack(response_action="errors", errors=err.errors)
            return
        except PostmortemError as err:
            # A modal can only answer at a field: the refusal goes where the user is looking.
            ack(response_action="errors", errors={Field.TITLE: str(err)})
            return
        ack()
        if created is None and updated is None:
            return  # the same submit delivered twice: the first one does the telling
        if created is not None:
            assert created.id is not None
            announce(deps, client, meta.pm_id, actor,
                     f"added *{ai.label(created)}* “{bk.escape(bk.clip(created.title, 200))}” "
                     f"— owner <@{created.owner_id}>, {created.priority}, "
                     f"due {ai.due_text(created.due_on)}")
            tell_owner(deps, client, created, actor=actor)
            _tell_trackers(deps, client, created.id)
        elif updated is not None and updated[1]:
            item, changes, before_owner = updated
            announce(deps, client, meta.pm_id, actor,
                     f"updated *{ai.label(item)}*: {', '.join(changes)}")
            if item.owner_id != before_owner:
                tell_owner(deps, client, item, actor=actor)
        refresh_list(deps, client, meta, tz=tz)
