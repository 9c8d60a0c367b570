"""Reading and refreshing a user's App Home (no request context: the outbox uses it too).

`home_view` reads what the Home shows (a page of the tracker, the viewer's own work) in a few
indexed queries and builds the view. `publish` sends it;
`home_rows` are the outbox rows that publish again the Homes a change touched: only those
of people whose own work it is who have opened their Home, since the tracker part is read
afresh whenever a Home is opened.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.slack.home.state import NAME_MAX, HomeState
from bot.slack.home.views import (
    ITEMS_SHOWN,
    OWED_SHOWN,
    PAGE_SIZE,
    SERVICES_OFFERED,
    HomeData,
    build_home,
)
from flows.tracker_rows import tracker_row
from storage.kinds import HOME
from storage.queries import home, tracker
from storage.tables import Postmortem, Reminder

log = logging.getLogger(__name__)


def home_view(
    session: Session, *, team_id: str | None, user_id: str, now: datetime,
    state: HomeState | None = None, note: str | None = None,
) -> dict[str, Any]:
    """The Home for `user_id` in `team_id`: with `state`, or the filters they last chose."""
    if state is None:
        state = HomeState.load(home.home_state(session, team_id=team_id, user_id=user_id))
    entries, total = tracker.tracker_page(
        session, team_id=team_id, filters=state.tracker_filter(), now=now,
        offset=state.page * PAGE_SIZE, limit=PAGE_SIZE,
    )
    if not entries and state.page:
        # The page emptied under the viewer (filters, deletions): show the first instead.
        return home_view(session, team_id=team_id, user_id=user_id, now=now,
                         state=HomeState.load({**state.as_dict(), "page": 0}), note=note)
    services = [s for s in tracker.service_choices(session, team_id=team_id,
                                                   limit=SERVICES_OFFERED + 10)
                if len(s) <= NAME_MAX][:SERVICES_OFFERED]
    items, items_total, overdue = tracker.open_items_in(
        session, owner_id=user_id, team_id=team_id, today=now.date(), limit=ITEMS_SHOWN)
    owed, owed_total = tracker.owed_postmortems(session, user_id=user_id, team_id=team_id,
                                                limit=OWED_SHOWN)
    data = HomeData(
        user_id=user_id, now=now, state=state, items=items, items_total=items_total,
        items_overdue=overdue, owed=owed, owed_total=owed_total,
        rows=[tracker_row(e) for e in entries], total=total, services=services,
        teams=tracker.team_choices(session, team_id=team_id), note=note,
    )
    return build_home(data)


def publish(client: WebClient, user_id: str, view: dict[str, Any]) -> None:
    """views.publish; a user who left or a Home tab switched off is logged, not raised."""
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as err:
        log.warning("could not publish the Home of %s: %s", user_id, err.response.get("error"))


def home_rows(session: Session, pm: Postmortem, *, now: datetime) -> list[Reminder]:
    """Outbox rows publishing again the Homes of the post-mortem's people (author,
    facilitator, action-item owners) who have one; rendered when sent."""
    assert pm.id is not None
    return [
        Reminder(dedupe_key=f"home:{pm.team_id or ''}:{user}:{uuid.uuid4().hex}", kind=HOME,
                 target=user, due_at=now, team_id=pm.team_id)
        for user in home.viewers_of(session, pm)
    ]
