"""The document without Slack: people and channels named as the bot last stored them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from flows.archive import archive_location
from flows.document.names import slack_ids
from flows.document.render import render_markdown
from storage.queries.names import channel_names, person_names
from storage.record import PostmortemRecord


def render_stored(
    session: Session, record: PostmortemRecord, *, template: str, tz: str, now: datetime,
    templates_dir: Path | None = None,
) -> str:
    """`render_markdown` with the stored names (`postmortem-bot render`, the demo's files)."""
    users, channels = slack_ids(record)
    team = record.postmortem.team_id
    where, link = archive_location(None, record, publishing=False)
    return render_markdown(
        record,
        template=template,
        templates_dir=templates_dir,
        tz=tz,
        now=now,
        people=person_names(session, team_id=team, user_ids=users),
        channels=channel_names(session, team_id=team, channel_ids=channels),
        archive_url=link,
        archive_location=where,
    )
