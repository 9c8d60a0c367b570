"""`/postmortem` and its sub-commands."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import col, select

from bot.deps import Deps
from bot.slack.ids import Command
from bot.slack.messages import SlackPostFailed, post_control_message
from bot.slack.modals.start import build_start_modal
from flows.errors import NotFound
from flows.lifecycle import CLOSED, STATUS_LABELS
from flows.severity import severity_name
from storage.db import session_scope
from storage.queries import postmortems
from storage.tables import Incident, Postmortem

log = logging.getLogger(__name__)

HELP = """*`/postmortem` — post-mortems without leaving Slack*
• `/postmortem start [title]` — open a post-mortem for a resolved incident
• `/postmortem list` — open post-mortems, most urgent first
• `/postmortem post ID` — post post-mortem ID's control message again (e.g. after inviting me)
• `/postmortem deliver ID` — upload, archive and announce a published post-mortem again
• `/postmortem tracker always github|jira|off` — file every new action item automatically
• `/postmortem help` — this list
Everything else happens from the post-mortem's control message in the incident channel."""


def register(app: App, deps: Deps) -> None:
    @app.command(Command.POSTMORTEM)
    def handle_postmortem_command(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        words = (body.get("text") or "").strip()
        verb, _, rest = words.partition(" ")
        verb = verb.lower()
        if verb in ("", "help"):
            ack(response_type="ephemeral", text=HELP)
        elif verb in ("start", "new"):
            # trigger_id lives 3 seconds: ack, then open the modal straight away.
            ack()
            client.views_open(
                trigger_id=body["trigger_id"],
                view=build_start_modal(rest.strip(), body.get("channel_id"), deps.now()),
            )
        elif verb == "list":
            ack(response_type="ephemeral", text=list_open(deps))
        elif verb == "post":
            ack()
            respond(response_type="ephemeral", text=repost(deps, client, rest.strip()))
        elif verb == "tracker":
            ack(response_type="ephemeral", text=set_tracker(deps, body, rest.strip().lower()))
        elif verb == "deliver":
            ack()
            respond(response_type="ephemeral", text=redeliver(deps, client, rest.strip()))
        else:
            ack(
                response_type="ephemeral",
                text=f"I don't know `/postmortem {verb}`.\n\n{HELP}",
            )


def list_open(deps: Deps) -> str:
    with session_scope(deps.sessions) as session:
        stmt = (
            select(Postmortem, Incident)
            .join(Incident, col(Incident.id) == Postmortem.incident_id)
            .where(Postmortem.status != CLOSED)
            .order_by(col(Postmortem.due_at).asc())
            .limit(20)
        )
        rows = session.exec(stmt).all()
    if not rows:
        return "No open post-mortems. :tada:"
    lines = [
        f"• #{pm.id} {inc.reference} {severity_name(inc.severity)} “{inc.title}” — "
        f"{STATUS_LABELS[pm.status]}, owner <@{pm.owner_id}>"
        + (f", due {pm.due_at:%Y-%m-%d %H:%M} UTC" if pm.due_at else "")
        for pm, inc in rows
    ]
    return "*Open post-mortems*\n" + "\n".join(lines)


def repost(deps: Deps, client: WebClient, arg: str) -> str:
    if not arg.isdigit():
        return "Usage: `/postmortem post ID` (the number shown in `/postmortem list`)."
    try:
        with session_scope(deps.sessions) as session:
            postmortems.get_postmortem(session, pm_id=int(arg))
        post_control_message(deps, client, int(arg))
    except NotFound as err:
        return str(err)
    except SlackPostFailed as err:
        return f":warning: {err}"
    return f"Posted post-mortem #{arg}'s control message."


def redeliver(deps: Deps, client: WebClient, arg: str) -> str:
    """Retry the published document's upload, archive file and announcement."""
    from bot.slack.review.publish import deliver

    if not arg.isdigit():
        return "Usage: `/postmortem deliver ID`."
    with session_scope(deps.sessions) as session:
        record = postmortems.load_record(session, pm_id=int(arg))
    finals = [d for d in record.documents if d.version.endswith(".0")]
    if not finals:
        return f"Post-mortem #{arg} has not been published yet."
    deliver(deps, client, record, finals[-1])
    return f"Delivered version {finals[-1].version} of post-mortem #{arg} again."


def set_tracker(deps: Deps, body: dict[str, Any], arg: str) -> str:
    """The workspace's "always file new action items in …" setting."""
    from bot.slack.tracker_push import configured_trackers
    from flows.trackers import set_always_tracker

    words = arg.split()
    if len(words) != 2 or words[0] != "always" or words[1] not in ("github", "jira", "off"):
        return "Usage: `/postmortem tracker always github|jira|off`."
    tracker = None if words[1] == "off" else words[1]
    if tracker and tracker not in configured_trackers(deps):
        return (
            f"{tracker} is not configured: set its variables (see the README) and restart "
            "the bot first."
        )
    with session_scope(deps.sessions) as session:
        set_always_tracker(session, team_id=body.get("team_id") or "", tracker=tracker)
    if tracker is None:
        return "New action items are no longer filed automatically."
    return f"Every new action item will be filed in {tracker} automatically."
