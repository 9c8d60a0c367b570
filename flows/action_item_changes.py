"""Action items changing: added, edited, moved to another status or due date, snoozed.

Each transition checks who is asking (the editors; for status and dates the item's owner
too, always within the post-mortem's workspace), changes the rows, records the change in the
audit trail, keeps the owner's reminders in step, and finishes or reopens the post-mortem
when the item was its last open work or brings work back (flows/closing.py). All in the
caller's transaction; what to tell whom is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from flows import action_items as ai
from flows.changes import record_change
from flows.closing import close_if_done, reopen_if_closed
from flows.errors import InvalidState, PostmortemError
from flows.permissions import Actor, require_editor
from flows.policy import Policy
from flows.reminders.nudge import ensure_nudges
from flows.reminders.plan import P2, Change, moot_kinds_on, plan_p2_check_ins, plan_snooze
from storage.queries import action_items, postmortems
from storage.queries.reminders import add_reminders, cancel_reminders, snooze_action_item
from storage.tables import ActionItem, Incident, Postmortem

ADD_WHAT = "add or edit action items"
# Two people adding at once may both compute the same AI-n; the loser retries with the next.
NUMBER_ATTEMPTS = 5
_VERBS = {
    ai.IN_PROGRESS: "started {label} (in progress)",
    ai.DONE: "marked {label} done",
    ai.WONT_DO: "marked {label} won't do",
    ai.OPEN: "reopened {label}",
}
_MOOT_ON = {ai.DONE: Change.ITEM_DONE, ai.WONT_DO: Change.ITEM_WONT_DO}


@dataclass(frozen=True)
class Owner:
    """Whose weekly nudge an open item joins, and on which clock (read from Slack first)."""

    tz: str | None
    policy: Policy


@dataclass
class ItemChange:
    item: ActionItem
    postmortem: Postmortem
    incident: Incident
    # What changed, in words (the audit trail's and the thread's); empty: nothing did.
    changes: list[str] = field(default_factory=list)
    before_owner: str | None = None
    before_due: date | None = None
    # The post-mortem closed with this change (its last open work), or reopened (work again).
    closed: bool = False
    reopened: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _with_reason(detail: dict[str, object], reason: str | None) -> dict[str, object]:
    """An audit event's detail, with the won't-do reason when there is one."""
    return {**detail, "reason": reason} if reason else detail


def verb(status: str, label: str) -> str:
    """"marked AI-3 done", "reopened AI-3": a status move in words."""
    return _VERBS[status].format(label=label)


def _load(session: Session, item_id: int) -> ItemChange:
    item = action_items.get_item(session, item_id=item_id)
    pm = postmortems.get_postmortem(session, pm_id=item.postmortem_id)
    incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    return ItemChange(item, pm, incident, before_owner=item.owner_id, before_due=item.due_on)


def insert_numbered(session: Session, fields: dict[str, object]) -> ActionItem:
    """Insert with the next AI-n; on the UNIQUE(postmortem_id, number) violation of a racing
    insert, read the new highest number and try again (a savepoint keeps the transaction)."""
    pm_id = int(str(fields["postmortem_id"]))
    for _ in range(NUMBER_ATTEMPTS):
        number = ai.next_number(action_items.numbers_of(session, pm_id=pm_id))
        item = ActionItem(number=number, **fields)  # type: ignore[arg-type]
        try:
            action_items.insert_item(session, item)
            return item
        except IntegrityError:
            continue
    raise PostmortemError("Several people are adding action items right now: please save again.")


def add_item(
    session: Session, *, pm_id: int, actor: Actor, valid: ai.ValidItem, owner: Owner,
    now: datetime,
) -> ItemChange:
    """A new open item, numbered AI-n; a Closed post-mortem has open work again."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, ADD_WHAT, team_id=actor.team_id)
    item = insert_numbered(session, {
        "postmortem_id": pm_id, "title": valid.title, "owner_id": valid.owner_id,
        "due_on": valid.due_on, "priority": valid.priority, "category": valid.category,
        "success_criteria": valid.success_criteria, "status": ai.OPEN,
        "created_by": actor.user_id, "created_at": now, "updated_at": now,
    })
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="action_item.added",
                  summary=f"added {ai.label(item)} “{valid.title[:200]}”",
                  detail={"item_id": item.id, "owner_id": valid.owner_id,
                          "priority": valid.priority})
    settle_reminders(session, item, owner=owner, now=now)
    _p2_check_ins(session, pm, item, owner.policy, now)
    incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    result = ItemChange(item, pm, incident, changes=["added"])
    result.reopened = reopen_if_closed(session, pm, actor_id=actor.user_id, now=now,
                                       why=f"{ai.label(item)} was added")
    return result


def update_item(
    session: Session, *, item_id: int, actor: Actor, valid: ai.ValidItem, owner: Owner,
    now: datetime,
) -> ItemChange:
    """The edit form saved onto the item; `changes` empty when nothing differed."""
    result = _load(session, item_id)
    item, pm = result.item, result.postmortem
    require_editor(pm, actor.user_id, ADD_WHAT, team_id=actor.team_id)
    before_status = item.status
    result.changes = ai.apply_changes(item, valid, now)
    if not result.changes:
        return result
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="action_item.updated",
                  summary=f"updated {ai.label(item)}: {', '.join(result.changes)}",
                  detail=_with_reason({"item_id": item_id, "changes": result.changes},
                                      item.wont_do_reason))
    change = None
    if item.status != before_status and item.status in (ai.DONE, ai.WONT_DO):
        change = _MOOT_ON[item.status]
    elif item.owner_id != result.before_owner:
        change = Change.OWNER_CHANGED
    elif item.due_on != result.before_due:
        change = Change.DUE_MOVED
    settle_reminders(session, item, owner=owner, now=now, change=change)
    _p2_check_ins(session, pm, item, owner.policy, now)
    _follow_through(session, result, actor_id=actor.user_id, now=now)
    return result


def set_status(
    session: Session, *, item_id: int, status: str, actor: Actor, owner: Owner, now: datetime,
    reason: str | None = None, open_only: bool = False,
) -> ItemChange:
    """Move an item to `status`; a repeated click changes nothing (`changes` empty).
    Won't do needs `reason`. `open_only`: for buttons in old nudges, which must not quietly
    reopen an item finished since."""
    result = _load(session, item_id)
    item, pm = result.item, result.postmortem
    ai.require_status_change(pm, item, actor.user_id, team_id=actor.team_id)
    before = item.status
    if open_only and before not in ai.OPEN_STATUSES and before != status:
        raise InvalidState(
            f"{ai.label(item)} is already {ai.STATUS_LABELS[before].lower()}. To reopen "
            "it, use the post-mortem's action items list."
        )
    reason = ai.check_reason(ai.next_status(before, status), reason)
    if ai.apply_status(item, status, now, reason):
        move_recorded(session, result, actor_id=actor.user_id, now=now,
                      kind="action_item.status",
                      summary=verb(status, ai.label(item)),
                      detail=_with_reason({"item_id": item_id, "from": before, "to": status},
                                          reason))
        settle_reminders(session, item, owner=owner, now=now, change=_MOOT_ON.get(status))
        _follow_through(session, result, actor_id=actor.user_id, now=now)
    return result


def move_recorded(
    session: Session, result: ItemChange, *, actor_id: str | None, now: datetime, kind: str,
    summary: str, detail: dict[str, object],
) -> None:
    """A status move already applied to the item, in the audit trail."""
    result.changes = [f"status → {ai.STATUS_LABELS[result.item.status].lower()}"]
    record_change(session, result.postmortem, actor_id=actor_id, now=now, kind=kind,
                  summary=summary, detail=detail)


def move_due(
    session: Session, *, item_id: int, due_on: date, actor: Actor, owner: Owner, tz: str,
    now: datetime,
) -> ItemChange:
    result = _load(session, item_id)
    item, pm = result.item, result.postmortem
    ai.require_status_change(pm, item, actor.user_id, "change its due date",
                             team_id=actor.team_id)
    ai.check_due_on(due_on, now=now, tz=tz, current=item)
    before = item.due_on
    if before == due_on:
        return result
    item.due_on, item.updated_at = due_on, now
    result.changes = [f"due {ai.due_text(before)} → {ai.due_text(due_on)}"]
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="action_item.due_moved",
                  summary=f"moved {ai.label(item)}'s due date to {ai.due_text(due_on)}",
                  detail={"item_id": item_id, "from": ai.due_text(before),
                          "to": due_on.isoformat()})
    settle_reminders(session, item, owner=owner, now=now, change=Change.DUE_MOVED)
    return result


def snooze(session: Session, *, item_id: int, actor: Actor, now: datetime) -> ItemChange:
    """Out of the owner's nudges for a week. Nothing in the post-mortem changes: audited, but
    nothing for the thread."""
    result = _load(session, item_id)
    item, pm = result.item, result.postmortem
    ai.require_status_change(pm, item, actor.user_id, "snooze its reminders",
                             team_id=actor.team_id)
    snooze_action_item(session, row=plan_snooze(item, now))
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="action_item.snoozed",
                  summary=f"snoozed {ai.label(item)}'s reminders a week",
                  detail={"item_id": item_id})
    return result


def settle_reminders(
    session: Session, item: ActionItem, *, owner: Owner | None, now: datetime,
    change: Change | None = None,
) -> None:
    """Reminders in step with the item: moot ones cancelled, and the owner's weekly nudge
    planned while they have open items."""
    if change is not None:
        cancel_reminders(session, kinds=moot_kinds_on(change), now=now, item_id=item.id,
                         reason=str(change))
    if owner is not None and item.owner_id and item.status in ai.OPEN_STATUSES:
        session.flush()
        ensure_nudges(session, owner_id=item.owner_id, owner_tz=owner.tz, policy=owner.policy,
                      now=now)


def _p2_check_ins(
    session: Session, pm: Postmortem, item: ActionItem, policy: Policy, now: datetime
) -> None:
    """A P2 item on a published post-mortem earns it the 1-month check-in (seed 000: "verify
    P2 actions completed"), whatever the incident's severity."""
    if item.priority == P2 and item.status in ai.OPEN_STATUSES:
        add_reminders(session, plan_p2_check_ins(pm, policy, now))


def _follow_through(
    session: Session, result: ItemChange, *, actor_id: str | None, now: datetime
) -> None:
    """The post-mortem after an item moved: closed when that was its last open work,
    Published again when a Closed one has open work."""
    item, pm = result.item, result.postmortem
    if item.status in ai.OPEN_STATUSES:
        result.reopened = reopen_if_closed(session, pm, actor_id=actor_id, now=now,
                                           why=f"{ai.label(item)} is open again")
    else:
        result.closed = close_if_done(session, pm_id=item.postmortem_id, actor_id=actor_id,
                                      now=now)


def close_from_tracker(
    session: Session, *, item_id: int, status: str, via: str, ref: str, now: datetime
) -> ItemChange:
    """The item's issue closed in its tracker: the item is done (or won't do, the tracker's
    "not planned" being its reason). An item already finished is left alone."""
    result = _load(session, item_id)
    item = result.item
    if item.status not in ai.OPEN_STATUSES:
        return result
    reason = f"its issue was closed as not planned in {via}" if status == ai.WONT_DO else None
    ai.apply_status(item, status, now, reason)
    word = "done" if status == ai.DONE else "won't do"
    move_recorded(session, result, actor_id=None, now=now, kind=f"action_item.{status}",
                  summary=f"action item #{item.number} marked {word}: its issue closed in {via}",
                  detail=_with_reason({"action_item_id": item.id, "tracker_ref": ref}, reason))
    cancel_reminders(session, kinds=moot_kinds_on(_MOOT_ON[status]), now=now, item_id=item.id,
                     reason=f"issue closed in {via}")
    _follow_through(session, result, actor_id=None, now=now)
    return result
