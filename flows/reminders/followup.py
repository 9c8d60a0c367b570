"""The day-30 question after publishing: did the actions prevent recurrence?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from flows.closing import close_if_done
from flows.errors import NotFound
from flows.permissions import Actor, require_editor
from storage.queries import audit, postmortems
from storage.tables import Reminder


@dataclass(frozen=True)
class RecurrenceAnswer:
    """The answer to the day-30 question, for the audit trail and the tracker."""

    recurred: bool
    answered_by: str
    answered_at: datetime

    def as_payload(self) -> dict[str, Any]:
        return {
            "recurred": self.recurred,
            "answered_by": self.answered_by,
            "answered_at": self.answered_at.isoformat(),
        }


def record_follow_up_answer(
    session: Session, *, reminder_id: int, answer: RecurrenceAnswer
) -> Reminder:
    """Store the day-30 answer on the follow-up row and in the post-mortem's audit trail."""
    row = session.get(Reminder, reminder_id)
    if row is None or row.postmortem_id is None:
        raise NotFound(f"There is no follow-up #{reminder_id}.")
    # A new dict, so the JSON column sees the change.
    row.payload = {**(row.payload or {}), "answer": answer.as_payload()}
    said = "recurred" if answer.recurred else "did not recur"
    audit.add_event(
        session, pm_id=row.postmortem_id, actor_id=answer.answered_by, at=answer.answered_at,
        kind="follow_up.recurrence", summary=f"Day-30 check-in: the incident {said}",
        detail={"reminder_id": reminder_id, **answer.as_payload()},
    )
    session.flush()
    return row


def answer_day30(
    session: Session, *, pm_id: int, reminder_id: int, actor: Actor, recurred: bool,
    now: datetime,
) -> bool:
    """The post-mortem's people answer its day-30 question; True when that was the last thing
    missing and the post-mortem closed."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "answer the day-30 check-in", team_id=actor.team_id)
    row = session.get(Reminder, reminder_id)
    if row is None or row.postmortem_id != pm_id:
        raise NotFound(f"There is no follow-up #{reminder_id} for this post-mortem.")
    record_follow_up_answer(session, reminder_id=reminder_id,
                            answer=RecurrenceAnswer(recurred, actor.user_id, now))
    return close_if_done(session, pm_id=pm_id, actor_id=actor.user_id, now=now)
