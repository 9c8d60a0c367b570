"""Earlier post-mortems of a workspace, as the related-incident suggestions compare them:
title, services, root cause, where to read them. Newest first, capped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.queries.tracker import incident_date, scoped
from storage.tables import Incident, Postmortem

# The most recent earlier post-mortems a suggestion looks through.
CANDIDATES = 2000


@dataclass(frozen=True)
class EarlierPostmortem:
    pm_id: int
    reference: str
    title: str
    services: list[str]
    root_cause: str
    date: datetime
    team_id: str | None
    channel_id: str | None
    archive_url: str | None


def earlier_postmortems(
    session: Session, *, pm_id: int, team_id: str | None, before: datetime,
    limit: int = CANDIDATES,
) -> list[EarlierPostmortem]:
    """The workspace's post-mortems whose incident is dated before `before`, but `pm_id`."""
    when = incident_date()
    columns: tuple[Any, ...] = (
        col(Postmortem.id), col(Incident.reference), col(Incident.title),
        col(Incident.services), col(Postmortem.root_cause), col(Postmortem.cause_why), when,
        col(Postmortem.team_id), col(Postmortem.channel_id), col(Postmortem.archive_url),
    )
    stmt = scoped(
        select(*columns).select_from(Postmortem)
        .join(Incident, col(Incident.id) == Postmortem.incident_id)
        .where(col(Postmortem.id) != pm_id, when < before),
        team_id,
    ).order_by(when.desc(), col(Postmortem.id).desc()).limit(limit)
    return [
        EarlierPostmortem(int(i), ref, title, list(services or []),
                          " ".join(t for t in (cause, why) if t), date, team, channel, archive)
        for i, ref, title, services, cause, why, date, team, channel, archive
        in session.exec(stmt).all()
    ]
