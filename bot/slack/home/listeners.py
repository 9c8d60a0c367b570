"""The App Home: published when the user opens it, again when they filter or turn a page.

Its action-item buttons are the DMs' own (bot/slack/reminders/nudges.py answers them and
publishes the Home again when the click came from it); refreshes after other changes go
through the outbox (build.home_rows)."""

from __future__ import annotations

from bot.slack.context import Ctx
from bot.slack.home.publish import from_home, show_home
from bot.slack.home.state import FILTER_OF, HomeState, parse_option
from bot.slack.ids import Action, Event
from bot.slack.router import Router


def register_listeners(router: Router) -> None:
    router.event(Event.APP_HOME_OPENED)(home_opened)
    router.action(*FILTER_OF)(choose_filter)
    router.action(Action.HOME_CLEAR)(clear_filters)
    router.action(Action.HOME_PAGE)(turn_page)


def home_opened(ctx: Ctx) -> None:
    event = ctx.body.get("event") or {}
    if event.get("tab", "home") != "home":
        return  # the Messages tab: nothing to publish
    # Slack sends the Home as last published: its filters win over the stored ones.
    shown = event.get("view") or {}
    state = HomeState.load(shown.get("private_metadata")) if shown.get("type") == "home" \
        else None
    show_home(ctx, state)


def _current(ctx: Ctx) -> HomeState | None:
    return HomeState.load(ctx.view.get("private_metadata")) if from_home(ctx) else None


def choose_filter(ctx: Ctx) -> None:
    name, choice = parse_option(ctx.value)
    expected = FILTER_OF.get(str(ctx.action.get("action_id") or ""))
    state = _current(ctx) or HomeState()
    show_home(ctx, state.choose(expected or "status", choice if name == expected else "any"))


def clear_filters(ctx: Ctx) -> None:
    show_home(ctx, HomeState())


def turn_page(ctx: Ctx) -> None:
    _, _, number = ctx.value.partition(":")
    state = _current(ctx) or HomeState()
    page = int(number) if number.isdigit() else 0
    show_home(ctx, HomeState.load({**state.as_dict(), "page": page}))
