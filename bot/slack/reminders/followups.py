"""The day-30 question: did the actions prevent recurrence? "No recurrence" is stored at once;
"It happened again" asks for the new incident first (flows/recurrence.py keeps the report).
Either answer is noted in the thread and closes the post-mortem when it was the last thing
missing (flows/closing.py); a recurrence also links the new incident's post-mortem back and
tells the owner's engineering manager."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.slack import action_item_news as news
from bot.slack import blocks as bk
from bot.slack import outbox
from bot.slack.context import Ctx
from bot.slack.forms import errors_at, text
from bot.slack.home.rows import link, place_link
from bot.slack.ids import Action, Callback, RecurrenceField
from bot.slack.meta import Meta
from bot.slack.reminders.dm_redraw import clicked_message, update_message
from bot.slack.reminders.views import parse_follow_up_value
from bot.slack.router import Reply, Router
from flows.permissions import require_editor
from flows.recurrence import FIELD, NAMED_MAX, Reported, report_recurrence
from flows.reminders.followup import answer_day30
from storage.queries import postmortems
from storage.tables import Incident, Postmortem

RECURRED = ":rotating_light: the incident *recurred* — the actions did not prevent it"
HELD = ":white_check_mark: no recurrence — the actions held"


def register_listeners(router: Router) -> None:
    router.action(Action.FOLLOWUP_RECURRED)(open_recurred)
    router.view(Callback.RECURRENCE)(submit_recurred)
    router.action(Action.FOLLOWUP_NO_RECURRENCE)(answer_no_recurrence)


def answer_no_recurrence(ctx: Ctx) -> None:
    pm_id, reminder_id = parse_follow_up_value(ctx.value)
    said = f"{bk.user(ctx.user_id)} answered the day-30 check-in: {HELD}."
    with ctx.unit() as session:
        closed = answer_day30(session, pm_id=pm_id, reminder_id=reminder_id, actor=ctx.actor,
                              recurred=False, now=ctx.now())
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        ctx.queue(outbox.note(session, pm, said, now=ctx.now()))
        if closed:
            ctx.queue(outbox.announce(session, pm, news.CLOSED_NOTE, now=ctx.now()))
    # The question is answered: the DM says so instead of offering the buttons again.
    update_message(ctx.client, *clicked_message(ctx), {"text": said, "blocks": [bk.section(said)]})


def open_recurred(ctx: Ctx) -> None:
    """Which incident was it? Asked before anything is recorded; editors only."""
    pm_id, reminder_id = parse_follow_up_value(ctx.value)
    with ctx.read() as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        incident = postmortems.get_incident(session, incident_id=pm.incident_id)
    require_editor(pm, ctx.user_id, "report a recurrence", team_id=ctx.user_team_id)
    channel, ts = clicked_message(ctx)
    meta = Meta(pm_id=pm_id, channel_id=channel, entry_id=reminder_id,
                extra={"ts": ts} if ts else {})
    ctx.open_view(build_recurred_modal(incident, meta))


def build_recurred_modal(incident: Incident, meta: Meta) -> dict[str, Any]:
    blocks = [
        bk.section(f"The incident *{bk.escape(incident.reference)}: "
                   f"{bk.escape(bk.clip(incident.title, 200))}* happened again."),
        bk.text_input(RecurrenceField.INCIDENT, "The new incident", optional=True,
                      max_length=NAMED_MAX, placeholder="INC-2026-11-30-002 or https://…",
                      hint="Its reference or a link to it, if there is one: its post-mortem is "
                           f"linked to this one. Up to {NAMED_MAX} characters."),
        bk.context("The owner's engineering manager is told, and it counts toward the "
                   "recurrence rate."),
    ]
    return bk.modal("It happened again", blocks, callback_id=Callback.RECURRENCE,
                    private_metadata=meta.dump(), submit="Report")


def submit_recurred(ctx: Ctx) -> Reply:
    pm_id = ctx.require_pm()
    named = text(ctx.values(), RecurrenceField.INCIDENT, NAMED_MAX)
    with errors_at({FIELD: RecurrenceField.INCIDENT}), ctx.unit() as session:
        reported = report_recurrence(session, pm_id=pm_id, actor=ctx.actor, named=named,
                                     policy=ctx.deps.policy, now=ctx.now(),
                                     reminder_id=ctx.meta.entry_id)
        said = tell_recurrence(ctx, session, reported)
    message = {"text": said, "blocks": [bk.section(said)]}
    channel, ts = ctx.meta.channel_id, ctx.meta.extra.get("ts")
    ctx.later(lambda: update_message(ctx.client, channel, ts, message))
    return None


def _pm_link(pm: Postmortem, incident: Incident) -> str:
    title = f"{bk.escape(incident.reference)}: {bk.escape(bk.clip(incident.title, 150))}"
    return link(place_link(pm.archive_url, pm.channel_id, pm.team_id), f"*{title}*")


def _new_incident(reported: Reported) -> str:
    """The new incident as the thread shows it: its post-mortem, its page, or as typed."""
    new, row = reported.new_incident, reported.recurrence
    if new is not None and reported.new_postmortem is not None:
        return _pm_link(reported.new_postmortem, new)
    if new is not None:
        return link(new.external_url or "", f"*{bk.escape(new.reference)}*")
    if row.url:
        return link(row.url, bk.escape(row.url))
    return f"*{bk.escape(row.reference)}*" if row.reference else ""


def tell_recurrence(ctx: Ctx, session: Session, reported: Reported) -> str:
    """Queue the thread note, the link back from the new incident's post-mortem and the
    manager's DM in the current unit; returns the note."""
    now, pm, row = ctx.now(), reported.postmortem, reported.recurrence
    new = _new_incident(reported)
    how = ("answered the day-30 check-in" if ctx.meta.entry_id
           else "reported that the incident happened again")
    said = f"{bk.user(ctx.user_id)} {how}: {RECURRED}." + (f" New incident: {new}." if new else "")
    ctx.queue(outbox.announce(session, pm, said, now=now))
    if reported.closed:
        ctx.queue(outbox.announce(session, pm, news.CLOSED_NOTE, now=now))
    original = _pm_link(pm, reported.incident)
    if reported.new_postmortem is not None:
        ctx.queue(outbox.note(session, reported.new_postmortem,
                              f":repeat: This incident is a recurrence of {original} "
                              f"(reported by {bk.user(ctx.user_id)}): read its post-mortem "
                              "and its action items.", now=now))
    if reported.manager_id:
        text = (f":repeat: {original} happened again, reported by {bk.user(ctx.user_id)} "
                f"{bk.slack_date(row.reported_at)}. Its post-mortem's owner is "
                f"{bk.user(pm.owner_id)}; you are their engineering manager."
                + (f" New incident: {new}." if new else ""))
        ctx.queue(outbox.post(session, channel=reported.manager_id, now=now, pm_id=pm.id,
                              team_id=pm.team_id,
                              message={"text": bk.clip(text, 3000),
                                       "blocks": [bk.section(bk.clip(text, 3000)),
                                                  bk.context("The actions it promised did not "
                                                             "prevent it: worth a look at what "
                                                             "is still open.")]}))
    return said
