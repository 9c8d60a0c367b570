"""Opening a post-mortem in a test the way the bot does: one unit that creates it and writes its
control message to the outbox, then the delivery right after the commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.slack import outbox
from bot.slack.delivery import deliver_now
from flows import lifecycle
from flows.lifecycle import IncidentFacts
from storage.db import session_scope
from storage.queries import postmortems
from tests.harness import Harness

STARTED = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
TEAM = "T0001"  # the workspace SignedSlackClient sends from unless told otherwise


def facts(
    title: str = "Checkout API returned 500s", channel_id: str = "C0INCIDENT",
    started: datetime = STARTED, severity: int = 2, services: tuple[str, ...] = (),
) -> IncidentFacts:
    return IncidentFacts(title=title, severity=severity, services=list(services),
                         channel_id=channel_id, started_at=started,
                         resolved_at=started + timedelta(minutes=50))


def open_postmortem(
    bot: Harness, incident: IncidentFacts | None = None, *, owner_id: str = "U0ALICE",
    team_id: str | None = TEAM, post: bool = True,
) -> tuple[int, str | None]:
    """(post-mortem id, its control message's ts — None when not posted)."""
    with session_scope(bot.deps.sessions) as session:
        opened = lifecycle.create_postmortem(
            session, incident or facts(), owner_id=owner_id, team_id=team_id,
            policy=bot.deps.policy, now=bot.clock(),
        )
        ids = outbox.post_control(session, opened.postmortem, now=bot.clock()) if post else []
    pm_id = opened.postmortem.id
    assert pm_id is not None
    deliver_now(bot.deps, ids)
    with session_scope(bot.deps.sessions) as session:
        return pm_id, postmortems.get_postmortem(session, pm_id=pm_id).message_ts


def post_control(bot: Harness, pm_id: int) -> str | None:
    """Post (again) the post-mortem's control message as `/postmortem post` does."""
    with session_scope(bot.deps.sessions) as session:
        ids = outbox.post_control(session, postmortems.get_postmortem(session, pm_id=pm_id),
                                  now=bot.clock())
    deliver_now(bot.deps, ids)
    with session_scope(bot.deps.sessions) as session:
        return postmortems.get_postmortem(session, pm_id=pm_id).message_ts
