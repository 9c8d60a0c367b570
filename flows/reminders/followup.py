"""The day-30 question after publishing: did the actions prevent recurrence?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from flows.errors import NotFound
from storage.queries import audit
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
