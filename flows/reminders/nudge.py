"""The weekly nudge, decided in one place: when it is planned, what it lists, what comes next.

Each owner gets one DM a week (the policy's weekday and hour on their own clock) listing every
open, unsnoozed action item they own across post-mortems, overdue first. Assigning an item
plans the owner's next nudge; sending one plans the following week's while anything is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from flows.policy import Policy, next_weekly
from flows.reminders.plan import iso_week, nudge_order
from storage.kinds import NUDGE
from storage.queries import action_items
from storage.queries.action_items import OpenItem
from storage.queries.reminders import add_reminders, snoozed_items
from storage.tables import Reminder


def plan_nudge(owner_id: str, owner_tz: str | None, policy: Policy, now: datetime) -> Reminder:
    """The owner's next weekly nudge, at the policy's weekday and hour on their own clock."""
    tz = owner_tz or "UTC"
    due_at = next_weekly(now, policy.nudge_weekday, policy.nudge_hour, tz)
    return Reminder(
        dedupe_key=f"nudge:{owner_id}:{iso_week(due_at, tz)}", kind=NUDGE, target=owner_id,
        due_at=due_at, payload={"tz": tz},
    )


def ensure_nudges(
    session: Session, *, owner_id: str, owner_tz: str | None, policy: Policy, now: datetime
) -> bool:
    """Plan the owner's next weekly nudge if they have open items. Call when one is assigned.

    Idempotent: the week's dedupe key makes a second call a no-op. Returns whether one is set.
    """
    if not action_items.has_open_items(session, owner_id=owner_id):
        return False
    add_reminders(session, [plan_nudge(owner_id, owner_tz, policy, now)])
    return True


@dataclass(frozen=True)
class Nudge:
    """What one owner's nudge lists, in the order it lists it."""

    owner_id: str
    items: list[OpenItem]
    today: date


def nudge_for(session: Session, *, owner_id: str, tz: str | None, now: datetime) -> Nudge:
    """The owner's open items that are not snoozed, overdue first, dated in their own zone."""
    rows = action_items.open_items_of(session, owner_id=owner_id)
    asleep = snoozed_items(session, item_ids=[a.id for a, _, _ in rows if a.id], now=now)
    today = now.astimezone(ZoneInfo(tz or "UTC")).date()
    awake = [row for row in rows if row[0].id not in asleep]
    awake.sort(key=lambda row: nudge_order(row[0], today))
    return Nudge(owner_id, awake, today)
