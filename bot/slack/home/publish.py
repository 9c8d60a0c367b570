"""Publishing the Home of the user who opened it or clicked in it, after the ack."""

from __future__ import annotations

from bot.slack.context import Ctx
from bot.slack.home.build import home_view, publish
from bot.slack.home.state import HomeState
from storage.queries import home


def from_home(ctx: Ctx) -> bool:
    """Was this click made in the user's Home tab?"""
    return ctx.view.get("type") == "home"


def show_home(ctx: Ctx, state: HomeState | None = None, *, note: str | None = None) -> None:
    """Publish the clicking (or opening) user's Home after the ack and remember its filters.
    Without `state`: the filters of the Home clicked in, else the ones last saved."""
    if state is None and from_home(ctx):
        state = HomeState.load(ctx.view.get("private_metadata"))
    team = ctx.user_team_id
    with ctx.read() as session:
        if state is None:
            state = HomeState.load(home.home_state(session, team_id=team, user_id=ctx.user_id))
        view = home_view(session, team_id=team, user_id=ctx.user_id, now=ctx.now(),
                         state=state, note=note)
    # Its own short write: the read above must not hold SQLite's write lock.
    with ctx.unit() as session:
        home.save_home_state(session, team_id=team, user_id=ctx.user_id,
                             state=state.as_dict(), now=ctx.now())
    publish(ctx.client, ctx.user_id, view)
