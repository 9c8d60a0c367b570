"""The day-30 question: did the actions prevent recurrence? The answer is stored, noted in the
thread, and closes the post-mortem when it was the last thing missing (flows/closing.py)."""

from __future__ import annotations

from bot.slack import action_item_news as news
from bot.slack import blocks as bk
from bot.slack import outbox
from bot.slack.context import Ctx
from bot.slack.ids import Action
from bot.slack.reminders.dm_redraw import clicked_message, update_message
from bot.slack.reminders.views import parse_follow_up_value
from bot.slack.router import Router
from flows.reminders.followup import answer_day30
from storage.queries import postmortems


def register_listeners(router: Router) -> None:
    router.action(Action.FOLLOWUP_RECURRED)(answer_recurred)
    router.action(Action.FOLLOWUP_NO_RECURRENCE)(answer_no_recurrence)


def answer_recurred(ctx: Ctx) -> None:
    _answer(ctx, recurred=True)


def answer_no_recurrence(ctx: Ctx) -> None:
    _answer(ctx, recurred=False)


def _answer(ctx: Ctx, *, recurred: bool) -> None:
    pm_id, reminder_id = parse_follow_up_value(ctx.value)
    said = (
        ":rotating_light: the incident *recurred* — the actions did not prevent it"
        if recurred
        else ":white_check_mark: no recurrence — the actions held"
    )
    text = f"{bk.user(ctx.user_id)} answered the day-30 check-in: {said}."
    with ctx.unit() as session:
        closed = answer_day30(session, pm_id=pm_id, reminder_id=reminder_id, actor=ctx.actor,
                              recurred=recurred, now=ctx.now())
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        ctx.queue(outbox.note(session, pm, text, now=ctx.now()))
        if closed:
            ctx.queue(outbox.announce(session, pm, news.CLOSED_NOTE, now=ctx.now()))
    # The question is answered: the DM says so instead of offering the buttons again.
    update_message(ctx.client, *clicked_message(ctx), {"text": text, "blocks": [bk.section(text)]})
