"""Finishing a post-mortem: Closed once its work is over, Published again when work returns.

Closed means published, every action item done or won't do, and the day-30 question ("did it
happen again?") answered. Each change that can complete that picture calls `close_if_done`
in its own transaction: an item finished (from a DM, a nudge, the list, a tracker), the
day-30 answer. Work added to a Closed post-mortem (a new item, an item reopened) calls
`reopen_if_closed`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from flows.changes import record_change
from flows.reminders.plan import Change, moot_kinds_on
from flows.review import should_close
from storage.kinds import CANCELLED, CLOSED, PUBLISHED, RECURRENCE
from storage.queries import postmortems
from storage.queries.reminders import cancel_reminders, follow_ups_of
from storage.tables import Postmortem


def day30_answered(session: Session, *, pm_id: int) -> bool:
    """The day-30 question was answered, or none is asked (a policy without it)."""
    asked = [
        row for row in follow_ups_of(session, pm_id=pm_id)
        if (row.payload or {}).get("scope") == RECURRENCE
    ]
    if any("answer" in (row.payload or {}) for row in asked):
        return True
    return all(row.status == CANCELLED for row in asked)


def close_if_done(
    session: Session, *, pm_id: int, actor_id: str | None, now: datetime
) -> bool:
    """Close the post-mortem when its work is over; True when this call closed it."""
    record = postmortems.load_summary(session, pm_id=pm_id)
    if not should_close(record) or not day30_answered(session, pm_id=pm_id):
        return False
    pm = record.postmortem
    pm.status, pm.closed_at = CLOSED, now
    cancel_reminders(session, pm_id=pm_id, kinds=moot_kinds_on(Change.CLOSED), now=now,
                     reason="closed")
    record_change(session, pm, actor_id=actor_id, now=now, kind="closed",
                  summary="closed: every action item is done or won't do and the day-30 "
                          "question is answered")
    return True


def reopen_if_closed(
    session: Session, pm: Postmortem, *, actor_id: str | None, now: datetime, why: str
) -> bool:
    """A Closed post-mortem with open work again is Published until that work is over."""
    if pm.status != CLOSED:
        return False
    pm.status, pm.closed_at = PUBLISHED, None
    record_change(session, pm, actor_id=actor_id, now=now, kind="reopened",
                  summary=f"reopened: {why}")
    return True
