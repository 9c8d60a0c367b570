"""Details: title, severity, services, roles, reference, detection, milestones, the alert, the
narrative, how recovery was verified and the review meeting. Editors only."""

from __future__ import annotations

from bot.slack.context import Ctx
from bot.slack.forms import errors_at
from bot.slack.ids import Action, Callback
from bot.slack.modals.details_views import BLOCKS, build_details_modal, read_details_form
from bot.slack.people import user_tz
from bot.slack.router import Reply, Router
from flows import details
from flows.document import list_templates
from flows.sections import for_editing


def open_details(ctx: Ctx) -> None:
    with ctx.read() as session:
        record = for_editing(session, pm_id=ctx.require_pm(), actor=ctx.actor,
                             what="edit the details")
    templates = list_templates(ctx.deps.settings.templates_dir)
    # The summary draft is written in the reader's time zone.
    tz = user_tz(ctx.client, ctx.user_id)
    ctx.open_view(build_details_modal(record, templates, ctx.deps.policy.default_template, tz))


def submit_details(ctx: Ctx) -> Reply:
    pm_id = ctx.require_pm()
    changes = read_details_form(ctx.values())
    with errors_at(BLOCKS), ctx.unit() as session:
        changed = details.save_details(session, pm_id=pm_id, actor=ctx.actor, changes=changes,
                                       policy=ctx.deps.policy, now=ctx.now())
        if changed:
            ctx.announce(session, pm_id, "edited the details: " + details.describe(changed))
    return None


def register_listeners(router: Router) -> None:
    router.action(Action.OPEN_DETAILS)(open_details)
    router.view(Callback.DETAILS)(submit_details)
