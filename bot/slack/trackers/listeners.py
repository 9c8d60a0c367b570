"""Buttons that file action items in trackers: Create GitHub/Jira issue, and Retry. The
post-mortem's editors and the item's owner may press them (bot/slack/tracker_push.py)."""

from __future__ import annotations

from bot.integrations.model import GITHUB, JIRA
from bot.slack.context import Ctx
from bot.slack.ids import Action
from bot.slack.reminders.views import parse_item_value
from bot.slack.router import Router
from bot.slack.trackers.push import PushResult, push_action_item, retry_push


def register_listeners(router: Router) -> None:
    router.action(Action.TRACKER_GITHUB)(file_in_github)
    router.action(Action.TRACKER_JIRA)(file_in_jira)
    router.action(Action.TRACKER_RETRY)(retry)


def file_in_github(ctx: Ctx) -> None:
    _answer(ctx, push_action_item(ctx.deps, parse_item_value(ctx.value), GITHUB,
                                  actor=ctx.actor))


def file_in_jira(ctx: Ctx) -> None:
    _answer(ctx, push_action_item(ctx.deps, parse_item_value(ctx.value), JIRA, actor=ctx.actor))


def retry(ctx: Ctx) -> None:
    _answer(ctx, retry_push(ctx.deps, parse_item_value(ctx.value), actor=ctx.actor))


def _answer(ctx: Ctx, result: PushResult) -> None:
    """Only the "already filed" case needs words here: success and failure are posted in the
    post-mortem's thread."""
    if result.already and result.url:
        ctx.tell(f"This action item is already filed: {result.url}")
