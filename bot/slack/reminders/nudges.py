"""Buttons in the owner's DMs: the status buttons sent on assignment and the weekly nudge's
done / in progress / snooze / change-due-date. Each change is audited, noted in the
post-mortem's thread, and the DM is redrawn in place so a second click finds the new state."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.forms import day, view_values
from bot.slack.ids import Action
from bot.slack.messages import tell_user
from bot.slack.meta import Meta, meta_of
from bot.slack.modals.common import announce
from bot.slack.people import user_tz
from bot.slack.reminders.views import build_nudge
from flows import action_items as ai
from flows.errors import FieldErrors, InvalidState, NotFound, PostmortemError
from flows.reminders.nudge import ensure_nudges
from flows.reminders.plan import Change, moot_kinds_on, plan_snooze
from storage.db import session_scope
from storage.queries import audit, postmortems
from storage.queries.action_items import open_items_of
from storage.queries.reminders import (
    cancel_reminders,
    snooze_action_item,
    snoozed_items,
)
from storage.tables import ActionItem, Incident, Postmortem

log = logging.getLogger(__name__)

Message = dict[str, Any]
Listener = Callable[[Ack, dict[str, Any], WebClient], None]
NUDGE_DUE_CALLBACK = "ai.nudge_due.submit"
NUDGE_DUE_BLOCK = "ai.nudge_due.date"
# One button per block: Slack wants action_ids unique within a block, and every status
# button shares Action.ACTION_ITEM_STATUS (the value says which status).
_STATUS_PROMPTS = {
    ai.IN_PROGRESS: ("Started on it?", "In progress", None),
    ai.DONE: ("Finished, and the success criteria are met?", "Done", "primary"),
    ai.WONT_DO: ("Decided not to do it? Say why in the post-mortem thread.", "Won't do", "danger"),
    ai.OPEN: ("Not finished after all?", "Reopen", None),
}
_VERBS = {
    ai.IN_PROGRESS: "started {label} (in progress)",
    ai.DONE: "marked {label} done",
    ai.WONT_DO: "marked {label} won't do",
    ai.OPEN: "reopened {label}",
}
_MOOT_ON = {ai.DONE: Change.ITEM_DONE, ai.WONT_DO: Change.ITEM_WONT_DO}


def status_value(item: ActionItem, status: str) -> str:
    return f"{item.id}:{status}"


def parse_status_value(value: str) -> tuple[int, str]:
    item_id, _, status = value.partition(":")
    if not item_id.isdigit() or status not in ai.STATUSES:
        raise PostmortemError("I could not tell which action item this button is for.")
    return int(item_id), status


def build_owner_dm(item: ActionItem, incident: Incident, *, note: str) -> Message:
    """The DM an owner gets on assignment: the item and buttons for its next statuses."""
    lbl = ai.label(item)
    due = ai.due_text(item.due_on)
    status = ai.STATUS_LABELS.get(item.status, item.status)
    where = f"{bk.escape(incident.reference)}: {bk.escape(incident.title)}"
    blocks: list[bk.Block] = [
        bk.section(f":dart: You own *{lbl}* from the post-mortem for *{where}*"),
        bk.section(f"*{bk.escape(bk.clip(item.title, 2900))}*"),
        bk.fields(
            [
                ("Priority", item.priority),
                ("Category", item.category),
                ("Due", due),
                ("Status", status),
            ]
        ),
    ]
    if item.success_criteria:
        blocks.append(bk.section(f"*Done when*\n{bk.escape(item.success_criteria)}"))
    for target in sorted(ai.TRANSITIONS.get(item.status, ()), key=ai.STATUSES.index):
        prompt, text, style = _STATUS_PROMPTS[target]
        button = bk.button(text, Action.ACTION_ITEM_STATUS, status_value(item, target), style)
        blocks.append(bk.section(prompt, block_id=f"ai.dm.{target}", accessory=button))
    blocks.append(bk.context(note))
    text = f"You own {lbl} ({incident.reference}): {bk.clip(item.title, 200)} — {status}, due {due}"
    return {"text": text, "blocks": blocks}


def settle_reminders(
    session: Session,
    deps: Deps,
    item: ActionItem,
    *,
    owner_tz: str | None,
    change: Change | None = None,
) -> None:
    """Reminders in step with the item, in the caller's transaction: moot ones cancelled, and
    the owner's weekly nudge planned while they have open items."""
    now = deps.now()
    if change is not None:
        cancel_reminders(
            session, kinds=moot_kinds_on(change), now=now, item_id=item.id, reason=str(change)
        )
    if item.owner_id and item.status in ai.OPEN_STATUSES:
        session.flush()
        ensure_nudges(
            session, owner_id=item.owner_id, owner_tz=owner_tz, policy=deps.policy, now=now
        )


@dataclass(frozen=True)
class Changed:
    item: ActionItem
    incident: Incident
    # The thread note, without the actor; None when nothing changed (a repeated click).
    summary: str | None

    def announce(self, deps: Deps, client: WebClient, actor_id: str) -> None:
        if self.summary:
            announce(deps, client, self.item.postmortem_id, actor_id, self.summary)


def _load(session: Session, item_id: int) -> tuple[ActionItem, Postmortem, Incident]:
    item = session.get(ActionItem, item_id)
    if item is None:
        raise NotFound("That action item no longer exists.")
    pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
    return item, pm, postmortems.get_incident(session, incident_id=pm.incident_id)


def _owner_tz(deps: Deps, client: WebClient, item_id: int) -> str:
    # Read before the write transaction: a Slack call must not hold SQLite's write lock.
    with session_scope(deps.sessions) as session:
        item, _, _ = _load(session, item_id)
    return user_tz(client, item.owner_id) if item.owner_id else "UTC"


def set_status(
    deps: Deps,
    client: WebClient,
    *,
    item_id: int,
    status: str,
    actor_id: str,
    open_only: bool = False,
) -> Changed:
    """Move an item to `status` (saved and audited, not yet announced); a repeated click
    changes nothing, so it earns no second thread note. `open_only`: for buttons in old
    nudges, which must not quietly reopen an item finished since."""
    owner_tz = _owner_tz(deps, client, item_id)
    now = deps.now()
    with session_scope(deps.sessions) as session:
        item, pm, incident = _load(session, item_id)
        ai.require_status_change(pm, item, actor_id)
        before = item.status
        if open_only and before not in ai.OPEN_STATUSES and before != status:
            raise InvalidState(
                f"{ai.label(item)} is already {ai.STATUS_LABELS[before].lower()}. To reopen "
                "it, use the post-mortem's action items list."
            )
        changed = ai.apply_status(item, status, now)
        if changed:
            pm.updated_at = now
            session.add_all([item, pm])
            audit.add_event(
                session,
                pm_id=item.postmortem_id,
                actor_id=actor_id,
                at=now,
                kind="action_item.status",
                summary=_VERBS[status].format(label=ai.label(item)),
                detail={"item_id": item_id, "from": before, "to": status},
            )
            settle_reminders(session, deps, item, owner_tz=owner_tz, change=_MOOT_ON.get(status))
    title = bk.escape(bk.clip(item.title, 200))
    summary = _VERBS[status].format(label=f"*{ai.label(item)}*") + f" — “{title}”"
    return Changed(item, incident, summary if changed else None)


def move_due(
    deps: Deps, client: WebClient, *, item_id: int, due_on: date, actor_id: str, tz: str
) -> Changed:
    owner_tz = _owner_tz(deps, client, item_id)
    now = deps.now()
    with session_scope(deps.sessions) as session:
        item, pm, incident = _load(session, item_id)
        ai.require_status_change(pm, item, actor_id, "change its due date")
        ai.check_due_on(due_on, now=now, tz=tz, current=item)
        before = item.due_on
        changed = before != due_on
        if changed:
            item.due_on, item.updated_at, pm.updated_at = due_on, now, now
            session.add_all([item, pm])
            audit.add_event(
                session,
                pm_id=item.postmortem_id,
                actor_id=actor_id,
                at=now,
                kind="action_item.due_moved",
                summary=f"moved {ai.label(item)}'s due date to {ai.due_text(due_on)}",
                detail={"item_id": item_id, "from": ai.due_text(before), "to": due_on.isoformat()},
            )
            settle_reminders(session, deps, item, owner_tz=owner_tz, change=Change.DUE_MOVED)
    summary = f"moved *{ai.label(item)}*'s due date {ai.due_text(before)} → {ai.due_text(due_on)}"
    return Changed(item, incident, summary if changed else None)


def snooze(deps: Deps, *, item_id: int, actor_id: str) -> ActionItem:
    """Out of the owner's nudges for a week. Nothing in the post-mortem changes, so there is
    an audit event but no thread note."""
    now = deps.now()
    with session_scope(deps.sessions) as session:
        item, pm, _ = _load(session, item_id)
        ai.require_status_change(pm, item, actor_id, "snooze its reminders")
        snooze_action_item(session, row=plan_snooze(item, now))
        audit.add_event(
            session,
            pm_id=item.postmortem_id,
            actor_id=actor_id,
            at=now,
            kind="action_item.snoozed",
            summary=f"snoozed {ai.label(item)}'s reminders a week",
            detail={"item_id": item_id},
        )
    return item


def redraw_nudge(
    deps: Deps,
    client: WebClient,
    *,
    owner_id: str,
    channel: str | None,
    ts: str | None,
    note: str,
) -> None:
    """The weekly nudge redrawn from what is open now, with `note` saying what just changed."""
    if not (channel and ts):
        return
    now = deps.now()
    today = ai.local_date(now, user_tz(client, owner_id))
    with session_scope(deps.sessions) as session:
        rows = open_items_of(session, owner_id=owner_id)
        asleep = snoozed_items(session, item_ids=[a.id for a, _, _ in rows if a.id], now=now)
    rows = [r for r in rows if r[0].id not in asleep]
    if rows:
        message = build_nudge(owner_id, rows, today=today)
        message["blocks"] = [bk.context(note), *message["blocks"]]
    else:
        text = "Nothing left to nudge you about this week."
        message = {"text": text, "blocks": [bk.section(f"{note}\n:tada: {text}")]}
    _update_message(client, channel, ts, message)


def _update_message(client: WebClient, channel: str, ts: str, message: Message) -> None:
    try:
        client.chat_update(channel=channel, ts=ts, **message)
    except SlackApiError as err:
        log.warning("could not redraw DM %s/%s: %s", channel, ts, err.response.get("error"))


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


def _value(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value") or "")


def build_due_modal(item: ActionItem, meta: Meta) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if item.due_on:
        element["initial_date"] = item.due_on.isoformat()
    blocks = [
        bk.section(f"*{ai.label(item)}* {bk.escape(bk.clip(item.title, 2900))}"),
        bk.input_block(
            NUDGE_DUE_BLOCK,
            "New due date",
            element,
            hint="Say in the post-mortem thread why it moved, if it matters.",
        ),
    ]
    return bk.modal(
        "Change due date",
        blocks,
        callback_id=NUDGE_DUE_CALLBACK,
        private_metadata=meta.dump(),
        submit="Move",
    )


def shows_refusals(listener: Listener) -> Listener:
    """For listeners that ack first: a PostmortemError raised after ack() makes Bolt drop the
    ack, so Slack gets a 404 and marks the button failed on top of our message. Show the error
    the way bot/errors.py does, and let the request end well."""

    @functools.wraps(listener)
    def run(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        try:
            listener(ack, body, client)
        except PostmortemError as err:
            tell_user(
                client,
                user_id=body["user"]["id"],
                channel_id=(body.get("channel") or {}).get("id"),
                text=str(err),
            )

    return run


def register(app: App, deps: Deps) -> None:
    def item_of(body: dict[str, Any]) -> int:
        value = _value(body)
        if not value.isdigit():
            raise PostmortemError("I could not tell which action item this button is for.")
        return int(value)

    @app.action(Action.ACTION_ITEM_STATUS)
    @shows_refusals
    def handle_dm_status(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        item_id, status = parse_status_value(_value(body))
        actor = body["user"]["id"]
        result = set_status(deps, client, item_id=item_id, status=status, actor_id=actor)
        result.announce(deps, client, actor)
        channel, ts = _where(body)
        if channel and ts:
            state = ai.STATUS_LABELS[result.item.status].lower()
            note = f"<@{actor}> set it to {state} {bk.slack_date(deps.now())}."
            _update_message(
                client, channel, ts, build_owner_dm(result.item, result.incident, note=note)
            )

    def nudge_status(status: str) -> Listener:
        def handle(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            actor = body["user"]["id"]
            result = set_status(
                deps, client, item_id=item_of(body), status=status, actor_id=actor, open_only=True
            )
            result.announce(deps, client, actor)
            state = ai.STATUS_LABELS[result.item.status].lower()
            channel, ts = _where(body)
            redraw_nudge(
                deps,
                client,
                owner_id=actor,
                channel=channel,
                ts=ts,
                note=f":white_check_mark: {ai.label(result.item)} is {state}.",
            )

        return shows_refusals(handle)

    app.action(Action.NUDGE_DONE)(nudge_status(ai.DONE))
    app.action(Action.NUDGE_PROGRESS)(nudge_status(ai.IN_PROGRESS))

    @app.action(Action.NUDGE_SNOOZE)
    @shows_refusals
    def handle_nudge_snooze(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = body["user"]["id"]
        item = snooze(deps, item_id=item_of(body), actor_id=actor)
        channel, ts = _where(body)
        redraw_nudge(
            deps,
            client,
            owner_id=actor,
            channel=channel,
            ts=ts,
            note=f":zzz: {ai.label(item)} is snoozed for a week.",
        )

    @app.action(Action.NUDGE_DUE)
    @shows_refusals
    def handle_nudge_due(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        with session_scope(deps.sessions) as session:
            item, pm, _ = _load(session, item_of(body))
            ai.require_status_change(pm, item, body["user"]["id"], "change its due date")
        channel, ts = _where(body)
        meta = Meta(
            pm_id=item.postmortem_id,
            channel_id=channel,
            entry_id=item.id,
            extra={"ts": ts} if ts else {},
        )
        client.views_open(trigger_id=body["trigger_id"], view=build_due_modal(item, meta))

    @app.view(NUDGE_DUE_CALLBACK)
    def handle_due_submission(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        actor, meta = body["user"]["id"], meta_of(body)
        tz = user_tz(client, actor)
        try:
            due_on = day(view_values(body["view"]), NUDGE_DUE_BLOCK)
            if due_on is None or meta.entry_id is None:
                raise FieldErrors({NUDGE_DUE_BLOCK: "Pick the new due date."})
            result = move_due(
                deps, client, item_id=meta.entry_id, due_on=due_on, actor_id=actor, tz=tz
            )
        except PostmortemError as err:
            # Field problems and refusals alike: a modal can only answer at a field.
            ack(response_action="errors", errors={NUDGE_DUE_BLOCK: str(err)})
            return
        ack()
        result.announce(deps, client, actor)
        redraw_nudge(
            deps,
            client,
            owner_id=actor,
            channel=meta.channel_id,
            ts=meta.extra.get("ts"),
            note=f":calendar: {ai.label(result.item)} is now due "
            f"{ai.due_text(result.item.due_on)}.",
        )
