"""Names of Slack people and channels as the bot last resolved them.

The bot writes a name whenever it asks Slack for one; `postmortem-bot render` and anything
else offline read them back, so a document says @alice and #inc-checkout, not U0ALICE.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.workspace_tables import Person, SlackChannel

NAME_MAX = 255


def _team(team_id: str | None) -> str:
    # Single-workspace installs may not know their team id: they share the "" workspace.
    return team_id or ""


def _upsert(session: Session, model: Any, key: tuple[str, str], **values: Any) -> None:
    """Insert or update in a savepoint: two replicas resolving the same name at once both win."""
    for _ in range(2):
        row = session.get(model, key)
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            session.flush()
            return
        try:
            with session.begin_nested():
                session.add(model(**dict(zip(_keys(model), key, strict=True)), **values))
                session.flush()
            return
        except IntegrityError:
            continue  # someone else inserted it first: update theirs
    raise RuntimeError(f"could not store {model.__tablename__} {key}")


def _keys(model: Any) -> tuple[str, str]:
    return ("team_id", "user_id") if model is Person else ("team_id", "channel_id")


def remember_person(
    session: Session, *, team_id: str | None, user_id: str, display_name: str, now: datetime
) -> None:
    """Keep `user_id`'s display name (the latest one wins)."""
    name = display_name.strip()[:NAME_MAX]
    if not user_id or not name:
        return
    _upsert(session, Person, (_team(team_id), user_id), display_name=name, updated_at=now)


def remember_channel(
    session: Session, *, team_id: str | None, channel_id: str, name: str, now: datetime
) -> None:
    """Keep a channel's name, without the leading `#`."""
    clean = name.strip().lstrip("#")[:NAME_MAX]
    if not channel_id or not clean:
        return
    _upsert(session, SlackChannel, (_team(team_id), channel_id), name=clean, updated_at=now)


def person_names(
    session: Session, *, team_id: str | None, user_ids: Iterable[str]
) -> dict[str, str]:
    """Known display names for `user_ids`: this workspace's first, else the latest anywhere
    (Enterprise Grid ids are shared across workspaces)."""
    wanted = {u for u in user_ids if u}
    if not wanted:
        return {}
    rows = session.connection().execute(_PEOPLE, {"ids": sorted(wanted)}).all()
    return _best(rows, _team(team_id), "user_id", "display_name")


def channel_names(
    session: Session, *, team_id: str | None, channel_ids: Iterable[str]
) -> dict[str, str]:
    """Known channel names (without `#`) for `channel_ids`."""
    wanted = {c for c in channel_ids if c}
    if not wanted:
        return {}
    rows = session.connection().execute(_CHANNELS, {"ids": sorted(wanted)}).all()
    return _best(rows, _team(team_id), "channel_id", "name")


def _named(table: Any, key: str, value: str) -> Any:
    # Columns, not entities, in a statement built once: a render reads names with every
    # document, and the tracked instances and the statement's building cost more than the read.
    c = table.c
    return select(c[key], c[value], c.team_id, c.updated_at).where(
        c[key].in_(bindparam("ids", expanding=True)))


_PEOPLE = _named(Person.__table__, "user_id", "display_name")  # type: ignore[attr-defined]
_CHANNELS = _named(SlackChannel.__table__, "channel_id", "name")  # type: ignore[attr-defined]


def _best(rows: Iterable[Any], team: str, key: str, value: str) -> dict[str, str]:
    # Rank: this team's row, then the most recently updated.
    ranked = sorted(rows, key=lambda r: (r.team_id == team, r.updated_at))
    return {getattr(r, key): getattr(r, value) for r in ranked}
