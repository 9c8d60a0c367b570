"""The post-mortem review meeting (seed 001: day 7, 60 minutes): a time proposed in the
thread, then who attended. Kept in the fields the Details form edits too (`meeting_at`,
`meeting_minutes`, `attendees`), which the document's meeting section and attendees read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from flows.changes import apply_fields, record_change
from flows.details import USER_ID
from flows.errors import FieldErrors
from flows.inputs import read_meeting
from flows.permissions import Actor, require_editor
from storage.queries import postmortems
from storage.tables import Incident, Postmortem

MEETING_DAY = 7
MEETING_HOUR = 10
MEETING_MINUTES = 60
FIELDS = ("meeting_at", "meeting_minutes", "attendees")


@dataclass(frozen=True)
class MeetingChange:
    postmortem: Postmortem
    changed: list[str] = field(default_factory=list)
    # Attendees recorded by this change, in the order picked.
    added: list[str] = field(default_factory=list)

    @property
    def proposed(self) -> bool:
        return "meeting_at" in self.changed or "meeting_minutes" in self.changed


def default_time(incident: Incident, pm: Postmortem, *, now: datetime, tz: str) -> datetime:
    """Day 7 after resolution at 10:00 on the proposer's clock, moved off the weekend; a day
    already past gives the next working day's 10:00 instead."""
    zone = ZoneInfo(tz)
    base = incident.resolved_at or incident.started_at or pm.created_at
    day = base.astimezone(zone).date() + timedelta(days=MEETING_DAY)
    at = datetime.combine(day, time(MEETING_HOUR), zone)
    if at <= now:
        at = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(MEETING_HOUR),
                              zone)
    while at.weekday() >= 5:
        at += timedelta(days=1)
    return at.astimezone(now.tzinfo)


def invitees(pm: Postmortem) -> list[str]:
    """Who a proposed meeting mentions: the post-mortem's people, once each."""
    people = [pm.owner_id, pm.facilitator_id, pm.commander_id, *pm.reviewers, *pm.attendees]
    return list(dict.fromkeys(p for p in people if p))


def save_meeting(
    session: Session, *, pm_id: int, actor: Actor, at: datetime | None,
    minutes: str | int | None, attendees: list[str], now: datetime,
) -> MeetingChange:
    """The meeting's time and length, and who attended; audited when anything changed."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "schedule the review meeting", team_id=actor.team_id)
    if not all(isinstance(a, str) and USER_ID.match(a) for a in attendees):
        raise FieldErrors({"attendees": "Pick people from the list."})
    if at is None:
        raise FieldErrors({"meeting_at": "Pick the meeting's date and time."})
    values = read_meeting(at, minutes if minutes not in (None, "") else MEETING_MINUTES,
                          attendees)
    before = list(pm.attendees)
    changed = apply_fields(pm, FIELDS, values)
    added = [a for a in pm.attendees if a not in before]
    if changed:
        record_change(session, pm, actor_id=actor.user_id, now=now, kind="meeting",
                      summary="review meeting: " + ", ".join(changed),
                      detail={"meeting_at": pm.meeting_at.isoformat() if pm.meeting_at else None,
                              "meeting_minutes": pm.meeting_minutes, "attendees": pm.attendees})
    return MeetingChange(pm, changed, added)
