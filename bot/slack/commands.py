"""`/postmortem` and its sub-commands.

The ack answers at once with what needs no database (help, usage); everything that reads or
writes goes after the ack and answers through the command's response_url."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk.webhook import WebhookClient

from bot.slack import blocks as bk
from bot.slack.context import Ctx
from bot.slack.delivery import deliver_now
from bot.slack.ids import Command
from bot.slack.modals.start import build_start_modal
from bot.slack.outbox import post_control
from bot.slack.review.publish import deliver
from bot.slack.router import Router
from bot.slack.tracker_answers import Answer, list_tracker, metrics_of, status_of
from bot.slack.trackers.push import configured_trackers
from bot.slack.values import as_id
from flows.permissions import require_workspace
from flows.trackers import set_always_tracker
from storage.queries import postmortems

log = logging.getLogger(__name__)

HELP = """*`/postmortem` — post-mortems without leaving Slack*
• `/postmortem start [title]` — open a post-mortem for a resolved incident
• `/postmortem list [open|overdue|mine|SERVICE]` — the tracker: open post-mortems (or overdue, \
yours, one service's), newest first
• `/postmortem status ID` — where post-mortem ID stands, and its open action items
• `/postmortem metrics [since]` — the program's numbers against their targets \
(since `90d`, `2026-06` or `2026-06-15`)
• `/postmortem post ID` — post post-mortem ID's control message again (e.g. after inviting me)
• `/postmortem deliver ID` — upload, archive and announce a published post-mortem again
• `/postmortem tracker always github|jira|off` — file every new action item automatically
• `/postmortem help` — this list
Everything else happens from the post-mortem's control message in the incident channel."""


def register_listeners(router: Router) -> None:
    router.command(Command.POSTMORTEM)(postmortem_command)


def postmortem_command(ctx: Ctx) -> str | None:
    verb, _, rest = str(ctx.body.get("text") or "").strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb in ("", "help"):
        return HELP
    if verb in ("start", "new"):
        # trigger_id lives 3 seconds: the modal opens right after the ack.
        ctx.later(lambda: open_start(ctx, rest))
        return None
    if verb == "tracker":
        return set_tracker(ctx, rest.lower())
    answers: dict[str, Callable[[Ctx, str], str | Answer]] = {
        "list": list_tracker, "status": status_of, "metrics": metrics_of, "post": repost,
        "deliver": redeliver,
    }
    if verb not in answers:
        return f"I don't know `/postmortem {bk.escape(verb)}`.\n\n{HELP}"
    ctx.later(lambda: respond(ctx, answers[verb](ctx, rest)))
    return None


def open_start(ctx: Ctx, title: str) -> None:
    ctx.client.views_open(trigger_id=ctx.trigger_id,
                          view=build_start_modal(title, ctx.channel_id, ctx.now()))


def respond(ctx: Ctx, answer: str | Answer) -> None:
    """An ephemeral answer to the command, through its response_url (valid 30 minutes)."""
    message = (answer if isinstance(answer, Answer) else Answer(answer)).message()
    url = str(ctx.body.get("response_url") or "")
    if not url:
        ctx.tell(message["text"])
        return
    WebhookClient(url).send(response_type="ephemeral", **message)


def repost(ctx: Ctx, arg: str) -> str:
    """A new control message (after the bot was invited, or the old one was deleted)."""
    pm_id = as_id(arg)
    if pm_id is None:
        return "Usage: `/postmortem post ID` (the number shown in `/postmortem list`)."
    with ctx.unit() as session:
        pm = postmortems.get_postmortem(session, pm_id=pm_id)
        require_workspace(pm, ctx.user_team_id)
        if not pm.channel_id:
            return f":warning: Post-mortem #{arg} has no channel to post in."
        ids = post_control(session, pm, now=ctx.now())
    report = deliver_now(ctx.deps, ids)
    if report.failed:
        code = report.failed[0].detail.removeprefix("slack: ")
        return (f":warning: post-mortem #{arg} is saved, but Slack refused the message: "
                f"{bk.escape(code)}")
    return f"Posted post-mortem #{arg}'s control message."


def redeliver(ctx: Ctx, arg: str) -> str:
    """Retry the published document's upload, archive file and announcement."""
    pm_id = as_id(arg)
    if pm_id is None:
        return "Usage: `/postmortem deliver ID`."
    with ctx.read() as session:
        record = postmortems.load_record(session, pm_id=pm_id)
    require_workspace(record.postmortem, ctx.user_team_id)
    finals = [d for d in record.documents if d.version.endswith(".0")]
    if not finals:
        return f"Post-mortem #{arg} has not been published yet."
    deliver(ctx.deps, ctx.client, record, finals[-1])
    return f"Delivered version {finals[-1].version} of post-mortem #{arg} again."


def set_tracker(ctx: Ctx, arg: str) -> str:
    """The workspace's "always file new action items in …" setting."""
    words = arg.split()
    if len(words) != 2 or words[0] != "always" or words[1] not in ("github", "jira", "off"):
        return "Usage: `/postmortem tracker always github|jira|off`."
    tracker = None if words[1] == "off" else words[1]
    if tracker and tracker not in configured_trackers(ctx.deps):
        return (
            f"{tracker} is not configured: set its variables (see the README) and restart "
            "the bot first."
        )
    with ctx.unit() as session:
        set_always_tracker(session, team_id=ctx.team_id or "", tracker=tracker)
    if tracker is None:
        return "New action items are no longer filed automatically."
    return f"Every new action item will be filed in {tracker} automatically."
