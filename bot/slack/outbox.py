"""Writing what the bot owes Slack into the outbox, in the transaction of the change it
reports: the change and its announcement commit together or not at all. bot/slack/delivery.py
sends the rows, right after the commit and, for any it could not, in the next sweep."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.slack.home.build import home_rows
from storage.kinds import CONTROL, MESSAGE, REFRESH, UPLOAD
from storage.queries import postmortems
from storage.queries.reminders import insert_reminders
from storage.record import DocumentData
from storage.tables import Postmortem, Reminder

Message = dict[str, Any]


def post(
    session: Session, *, channel: str, message: Message, now: datetime, key: str | None = None,
    thread_ts: str | None = None, pm_id: int | None = None, team_id: str | None = None,
) -> list[int]:
    """A chat.postMessage, sent once. `key` names the message when a second request could
    ask for the same one (the summary of version 2.0); otherwise every call is a new message."""
    return insert_reminders(session, [_post_row(
        channel=channel, message=message, now=now, key=key, thread_ts=thread_ts, pm_id=pm_id,
        team_id=team_id)])


def _post_row(
    *, channel: str, message: Message, now: datetime, key: str | None, thread_ts: str | None,
    pm_id: int | None, team_id: str | None,
) -> Reminder:
    payload: dict[str, Any] = {"channel": channel, **message}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return Reminder(
        dedupe_key=key or f"message:{uuid.uuid4().hex}", kind=MESSAGE, postmortem_id=pm_id,
        target=channel, due_at=now, payload=payload, team_id=team_id,
    )


def note(session: Session, pm: Postmortem, text: str, *, now: datetime) -> list[int]:
    """A reply in the post-mortem's thread; nothing while its control message is not posted."""
    return insert_reminders(session, _note_rows(pm, text, now))


def _note_rows(pm: Postmortem, text: str, now: datetime) -> list[Reminder]:
    if not (pm.channel_id and pm.message_ts):
        return []
    return [_post_row(channel=pm.channel_id, thread_ts=pm.message_ts, message={"text": text},
                      now=now, key=None, pm_id=pm.id, team_id=pm.team_id)]


def refresh(session: Session, pm: Postmortem, *, now: datetime) -> list[int]:
    """Redraw the control message from the database when sent. Each change gets its own row;
    a row a newer one covers is cancelled when claimed (storage/queries/claims.py)."""
    return insert_reminders(session, _refresh_rows(session, pm, now))


def _refresh_rows(session: Session, pm: Postmortem, now: datetime) -> list[Reminder]:
    assert pm.id is not None
    version = postmortems.bump_version(session, pm_id=pm.id)
    row = Reminder(dedupe_key=f"refresh:{pm.id}:{version}", kind=REFRESH, postmortem_id=pm.id,
                   due_at=now, team_id=pm.team_id)
    # The App Homes of its people show their own part of it: publish those again too.
    return [row, *home_rows(session, pm, now=now)]


def announce(session: Session, pm: Postmortem, text: str, *, now: datetime) -> list[int]:
    """The usual pair after a change: a thread note saying what changed, the message redrawn;
    written in one statement (every submitted form runs this inside the write lock)."""
    return insert_reminders(session, _note_rows(pm, text, now) + _refresh_rows(session, pm, now))


def upload(
    session: Session, pm: Postmortem, document: DocumentData, *, filename: str, title: str,
    comment: str, now: datetime,
) -> list[int]:
    """Put a stored document version into the post-mortem's thread, once."""
    if not pm.channel_id:
        return []
    payload = {"document_id": document.id, "channel": pm.channel_id,
               "thread_ts": pm.message_ts, "filename": filename, "title": title,
               "comment": comment}
    row = Reminder(dedupe_key=f"upload:{document.id}", kind=UPLOAD, postmortem_id=pm.id,
                   target=pm.channel_id, due_at=now, payload=payload, team_id=pm.team_id)
    return insert_reminders(session, [row])


def post_control(session: Session, pm: Postmortem, *, now: datetime) -> list[int]:
    """Post the post-mortem's control message (rendered when sent); its ts is stored then.
    Again after `/postmortem post ID`: a new message, the thread moves to it."""
    assert pm.id is not None
    row = Reminder(dedupe_key=f"control:{pm.id}:{uuid.uuid4().hex}", kind=CONTROL,
                   postmortem_id=pm.id, target=pm.channel_id, due_at=now, team_id=pm.team_id)
    return insert_reminders(session, [row])
