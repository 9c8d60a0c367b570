"""The control message's "Review meeting" button: propose a time (day 7 by default, seed 001)
and, afterwards, record who attended. Saved in the fields the Details form shows too
(flows/meeting.py); the proposal is posted in the thread, mentioning the post-mortem's people."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.forms import errors_at, text, timestamp
from bot.slack.ids import Action, Callback, MeetingField
from bot.slack.meta import Meta
from bot.slack.people import user_tz
from bot.slack.router import Reply, Router
from flows import meeting
from flows.inputs import MEETING_MAX_MINUTES
from flows.permissions import require_editor
from storage.queries import postmortems
from storage.record import PostmortemRecord

BLOCKS = {"meeting_at": MeetingField.WHEN, "meeting_minutes": MeetingField.MINUTES,
          "attendees": MeetingField.ATTENDEES}


def register_listeners(router: Router) -> None:
    router.action(Action.OPEN_MEETING)(open_meeting)
    router.view(Callback.MEETING)(submit_meeting)


def open_meeting(ctx: Ctx) -> None:
    with ctx.read() as session:
        record = postmortems.load_summary(session, pm_id=ctx.require_pm())
    require_editor(record.postmortem, ctx.user_id, "schedule the review meeting",
                   team_id=ctx.user_team_id)
    ctx.open_view(build_meeting_modal(record, tz=user_tz(ctx.client, ctx.user_id),
                                      now=ctx.now()))


def build_meeting_modal(record: PostmortemRecord, *, tz: str, now: Any) -> dict[str, Any]:
    pm = record.postmortem
    when = pm.meeting_at or meeting.default_time(record.incident, pm, now=now, tz=tz)
    minutes = str(pm.meeting_minutes or meeting.MEETING_MINUTES)
    people: dict[str, Any] = {"type": "multi_users_select", "action_id": "value"}
    if pm.attendees:
        people["initial_users"] = pm.attendees
    blocks = [
        bk.datetime_picker(MeetingField.WHEN, "When", initial=when,
                           hint="Seed 001 holds it around day 7. Changing it posts the new "
                                "time in the thread."),
        bk.text_input(MeetingField.MINUTES, "How long (minutes)", initial=minutes,
                      max_length=4, placeholder="60",
                      hint=f"Whole minutes, at most {MEETING_MAX_MINUTES}."),
        bk.input_block(MeetingField.ATTENDEES, "Who attended", people, optional=True,
                       hint="After the meeting: they are the document's attendees."),
    ]
    return bk.modal("Review meeting", blocks, callback_id=Callback.MEETING,
                    private_metadata=Meta(pm_id=record.id).dump(), submit="Save")


def submit_meeting(ctx: Ctx) -> Reply:
    pm_id = ctx.require_pm()
    values = ctx.values()
    at = timestamp(values, MeetingField.WHEN)
    minutes = text(values, MeetingField.MINUTES, 4)
    attendees = values.get(MeetingField.ATTENDEES) or []
    with errors_at(BLOCKS), ctx.unit() as session:
        change = meeting.save_meeting(session, pm_id=pm_id, actor=ctx.actor, at=at,
                                      minutes=minutes, attendees=list(attendees), now=ctx.now())
        pm = change.postmortem
        if change.proposed and pm.meeting_at:
            people = " ".join(bk.user(p) for p in meeting.invitees(pm) if p != ctx.user_id)
            ctx.announce(session, pm_id, (
                f"proposed the review meeting for {bk.slack_date(pm.meeting_at)} "
                f"({pm.meeting_minutes} min)" + (f": {people}, please come." if people else ".")))
        if "attendees" in change.changed:
            who = ", ".join(bk.user(a) for a in pm.attendees) or "nobody"
            ctx.announce(session, pm_id, f"recorded who attended the review meeting: {who}.")
    return None
