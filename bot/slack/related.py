"""Accepting a related-incident suggestion from the control message: the document cites the
earlier post-mortem and this incident counts as its recurrence (flows/related.py); both
threads say so."""

from __future__ import annotations

from bot.slack import blocks as bk
from bot.slack import outbox
from bot.slack.context import Ctx
from bot.slack.home.rows import link, place_link
from bot.slack.ids import Action
from bot.slack.router import Router
from bot.slack.values import as_id
from flows.errors import PostmortemError
from flows.related import link_related
from storage.queries import postmortems


def register_listeners(router: Router) -> None:
    router.action(Action.RELATED_LINK)(link_suggestion)


def link_suggestion(ctx: Ctx) -> None:
    pm_id = ctx.require_pm()
    earlier_id = as_id(ctx.value.partition(":")[2])
    if earlier_id is None:
        raise PostmortemError("I could not tell which post-mortem to link.")
    with ctx.read() as session:
        earlier = postmortems.get_postmortem(session, pm_id=earlier_id)
    url = place_link(earlier.archive_url, earlier.channel_id, earlier.team_id)
    if not url:
        raise PostmortemError("That post-mortem has no channel or document to link to yet.")
    with ctx.unit() as session:
        linked = link_related(session, pm_id=pm_id, earlier_pm_id=earlier_id, actor=ctx.actor,
                              url=url, now=ctx.now())
        if not linked.new:
            return
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        incident = postmortems.get_incident(session, incident_id=pm.incident_id)
        other = linked.earlier_incident
        ctx.announce(session, pm_id, (
            f"linked {link(url, f'*{bk.escape(other.reference)}*')} "
            f"“{bk.escape(bk.clip(other.title, 150))}” as a related incident: the document "
            "cites it and this incident counts as its recurrence."))
        here = place_link(pm.archive_url, pm.channel_id, pm.team_id)
        ctx.queue(outbox.note(session, linked.earlier, (
            f":repeat: {link(here, f'*{bk.escape(incident.reference)}*')} "
            f"“{bk.escape(bk.clip(incident.title, 150))}” was linked as a recurrence of this "
            f"incident by {bk.user(ctx.user_id)}."), now=ctx.now()))
