"""Per-workspace settings chosen in Slack (`/postmortem tracker always …`)."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.workspace_tables import WorkspaceSetting


def setting_values(session: Session, *, name: str, team_id: str | None) -> list[str]:
    """The setting's value in `team_id`; every workspace's values when the team is unknown."""
    stmt = select(WorkspaceSetting.value).where(WorkspaceSetting.name == name)
    if team_id:
        stmt = stmt.where(WorkspaceSetting.team_id == team_id)
    return list(session.exec(stmt).all())


def put_setting(session: Session, *, team_id: str, name: str, value: str | None) -> None:
    """Set the workspace's value; None removes it."""
    row = session.get(WorkspaceSetting, (team_id, name))
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(WorkspaceSetting(team_id=team_id, name=name, value=value))
    else:
        row.value = value
