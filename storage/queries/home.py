"""App Home tabs: who opened theirs, with which tracker filters (bot/slack/home/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from storage.tables import ActionItem, Postmortem
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


def viewers_of(session: Session, pm: Postmortem) -> list[str]:
    """The post-mortem's people (author, facilitator, action-item owners) who have a Home
    tab to keep fresh, in one query: every change to a post-mortem asks, in its transaction."""
    named = sorted({p for p in (pm.owner_id, pm.facilitator_id) if p})
    owners = select(ActionItem.owner_id).where(ActionItem.postmortem_id == pm.id)
    stmt = select(HomeTab.user_id).where(
        HomeTab.team_id == _team(pm.team_id),
        or_(col(HomeTab.user_id).in_(named), col(HomeTab.user_id).in_(owners)),
    ).order_by(col(HomeTab.user_id))
    return list(session.exec(stmt).all())
