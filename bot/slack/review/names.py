"""Names for the document: Slack's display names for people and names for channels.

Asked of Slack when a document is written (review draft, publish, preview), remembered in the
database, so `postmortem-bot render` offline shows the same names. When Slack cannot say,
the names remembered last are used; an id shows only when nobody knows it.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.integrations.archive import archive_place
from bot.slack.people import display_name
from flows.document.names import slack_ids
from flows.publishing import Rendering
from storage.db import session_scope
from storage.queries import names
from storage.record import PostmortemRecord

log = logging.getLogger(__name__)


def rendering_for(deps: Deps, client: WebClient, record: PostmortemRecord) -> Rendering:
    """How to render this record now: the installation's templates and time zone, and names."""
    people, channels = resolve_names(deps, client, record)
    return Rendering(
        templates_dir=deps.settings.templates_dir, tz=deps.policy.deadline.timezone,
        default_template=deps.policy.default_template, people=people, channels=channels,
        archive=archive_place(deps.settings.archive_dir, deps.settings.extra),
    )


def resolve_names(
    deps: Deps, client: WebClient, record: PostmortemRecord
) -> tuple[dict[str, str], dict[str, str]]:
    """(user id → display name, channel id → name) for every id the document may show."""
    users, channels = slack_ids(record)
    team = record.postmortem.team_id
    with session_scope(deps.sessions) as session:
        known_people = names.person_names(session, team_id=team, user_ids=users)
        known_channels = names.channel_names(session, team_id=team, channel_ids=channels)
    people = {u: name for u in sorted(users) if (name := _person(client, u))}
    rooms = {c: name for c in sorted(channels) if (name := _channel(client, c))}
    news_people = {u: n for u, n in people.items() if known_people.get(u) != n}
    news_rooms = {c: n for c, n in rooms.items() if known_channels.get(c) != n}
    if news_people or news_rooms:
        now = deps.now()
        with session_scope(deps.sessions) as session:
            for user_id, name in news_people.items():
                names.remember_person(session, team_id=team, user_id=user_id,
                                      display_name=name, now=now)
            for channel_id, name in news_rooms.items():
                names.remember_channel(session, team_id=team, channel_id=channel_id, name=name,
                                       now=now)
    return {**known_people, **people}, {**known_channels, **rooms}


def _person(client: WebClient, user_id: str) -> str | None:
    # people.user_info answers with the id itself when Slack does not know the user.
    name = display_name(client, user_id)
    return name if name and name != user_id else None


def _channel(client: WebClient, channel_id: str) -> str | None:
    try:
        channel = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as err:
        log.info("conversations.info %s failed: %s", channel_id, err.response.get("error"))
        return None
    name = channel.get("name")
    return str(name) if name else None
