"""App Home tabs: who opened theirs, with which tracker filters (bot/slack/home/)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.workspace_tables import HomeTab


def _team(team_id: str | None) -> str:
    return team_id or ""


def home_state(session: Session, *, team_id: str | None, user_id: str) -> dict[str, Any] | None:
    """The filters the user last chose, or None when they never opened the Home tab."""
    tab = session.get(HomeTab, (_team(team_id), user_id))
    return None if tab is None else dict(tab.state or {})


def save_home_state(
    session: Session, *, team_id: str | None, user_id: str, state: dict[str, Any], now: datetime
) -> None:
    tab = session.get(HomeTab, (_team(team_id), user_id))
    if tab is None:
        session.add(HomeTab(team_id=_team(team_id), user_id=user_id, state=state, opened_at=now))
    else:
        tab.state, tab.opened_at = dict(state), now
        session.add(tab)
    session.flush()


def home_viewers(session: Session, *, team_id: str | None, user_ids: Iterable[str]) -> list[str]:
    """Those of `user_ids` who have a Home tab to keep fresh."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    stmt = select(HomeTab.user_id).where(
        HomeTab.team_id == _team(team_id), col(HomeTab.user_id).in_(wanted)
    )
    return sorted(session.exec(stmt).all())
