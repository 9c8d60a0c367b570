"""The review meeting: day 7 by default on the proposer's clock, off the weekend; its time,
length and attendees saved in the Details fields and audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from flows.errors import FieldErrors, NotAllowed
from flows.meeting import default_time, invitees, save_meeting
from flows.permissions import Actor
from storage.tables import AuditEvent, Incident, Postmortem
from tests.flows.history import TEAM


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def pm_and_incident(resolved: datetime) -> tuple[Postmortem, Incident]:
    incident = Incident(reference="INC-1", title="t", severity=1, resolved_at=resolved,
                        created_at=resolved)
    pm = Postmortem(incident_id=1, owner_id="U0OWNER", created_at=resolved, updated_at=resolved)
    return pm, incident


def test_day_seven_at_ten_on_the_proposers_clock() -> None:
    pm, incident = pm_and_incident(utc(2026, 11, 19, 16))  # a Thursday
    # Day 7 is Thursday 26 Nov, 10:00 in Berlin = 09:00 UTC.
    assert default_time(incident, pm, now=utc(2026, 11, 20), tz="Europe/Berlin") == utc(
        2026, 11, 26, 9)
    # Resolved on a Saturday: day 7 is a Saturday too, so the Monday after.
    pm, incident = pm_and_incident(utc(2026, 11, 21, 12))
    assert default_time(incident, pm, now=utc(2026, 11, 22), tz="UTC") == utc(2026, 11, 30, 10)
    # Day 7 already past: the next working day.
    assert default_time(incident, pm, now=utc(2026, 12, 4, 15), tz="UTC") == utc(2026, 12, 7, 10)


def test_saved_in_the_details_fields_and_audited(history: Session) -> None:
    pm = history.exec(select(Postmortem).where(Postmortem.team_id == TEAM)).first()
    assert pm is not None and pm.id is not None
    alice = Actor("U0ALICE", TEAM)
    at = utc(2026, 4, 27, 8)
    change = save_meeting(history, pm_id=pm.id, actor=alice, at=at, minutes="", attendees=[],
                          now=utc(2026, 4, 20))
    assert change.proposed and change.changed == ["meeting_at", "meeting_minutes"]
    assert (pm.meeting_at, pm.meeting_minutes, pm.attendees) == (at, 60, [])
    later = save_meeting(history, pm_id=pm.id, actor=alice, at=at, minutes="60",
                         attendees=["U0BOB", "U0CAROL"], now=utc(2026, 4, 27, 9))
    assert (later.proposed, later.changed, later.added) == (False, ["attendees"],
                                                           ["U0BOB", "U0CAROL"])
    assert invitees(pm) == ["U0ALICE", "U0BOB", "U0CAROL"]
    again = save_meeting(history, pm_id=pm.id, actor=alice, at=at, minutes="60",
                         attendees=["U0BOB", "U0CAROL"], now=utc(2026, 4, 27, 9))
    assert again.changed == []
    kinds = history.exec(select(AuditEvent.summary).where(AuditEvent.kind == "meeting")).all()
    assert kinds == ["review meeting: meeting_at, meeting_minutes", "review meeting: attendees"]


@pytest.mark.parametrize(("kw", "field"), [
    ({"at": None}, "meeting_at"),
    ({"minutes": "an hour"}, "meeting_minutes"),
    ({"attendees": ["<!channel>"]}, "attendees"),
])
def test_what_is_refused(history: Session, kw: dict, field: str) -> None:
    pm = history.exec(select(Postmortem).where(Postmortem.team_id == TEAM)).first()
    assert pm is not None and pm.id is not None
    args = {"at": utc(2026, 4, 27, 8), "minutes": "60", "attendees": []} | kw
    with pytest.raises(FieldErrors) as raised:
        save_meeting(history, pm_id=pm.id, actor=Actor("U0ALICE", TEAM), now=utc(2026, 4, 20),
                     **args)
    assert field in raised.value.errors


def test_only_editors_schedule_it(history: Session) -> None:
    pm = history.exec(select(Postmortem).where(Postmortem.team_id == TEAM)).first()
    assert pm is not None and pm.id is not None
    with pytest.raises(NotAllowed):
        save_meeting(history, pm_id=pm.id, actor=Actor("U0NOBODY", TEAM),
                     at=utc(2026, 4, 27, 8), minutes="60", attendees=[], now=utc(2026, 4, 20))
