"""The post-mortem tracker (seed 001's spreadsheet) as queries: one page of post-mortems with
their action-item counts and milestones, the filters' choices, a person's own work.

Every query is scoped to one workspace: `team_id` is the viewer's, and only its rows are
read (None reads the rows of no known workspace); `EVERY_WORKSPACE` is the operator's export,
which may name `teams` instead.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, exists, func, or_, text
from sqlmodel import Session, col, select

from storage.kinds import CLOSED, DONE, DRAFT, IN_REVIEW, OPEN_ITEM_STATUSES, WONT_DO
from storage.tables import ActionItem, Incident, Postmortem, TimelineEntry

EVERY_WORKSPACE = "*"
OWED_STATUSES = (DRAFT, IN_REVIEW)
_CHUNK = 500


@dataclass(frozen=True)
class TrackerFilter:
    """What the tracker shows. Empty fields filter nothing.

    `statuses`: lifecycle statuses; `open` and `overdue` are the list command's words (not
    closed; deadline passed unpublished or an action item past due); `mine`: the user is the
    author or facilitator, or owns an action item; `since`: incident date on or after."""

    statuses: tuple[str, ...] = ()
    severity: int | None = None
    service: str | None = None
    teams: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    open: bool = False
    overdue: bool = False
    mine: str | None = None


@dataclass
class ItemCounts:
    total: int = 0
    done: int = 0
    wont_do: int = 0
    overdue: int = 0


@dataclass
class TrackerEntry:
    """A post-mortem as the tracker lists it; `marked` is the earliest timeline entry per
    milestone ("" for unmarked entries), from which flows.durations measures."""

    postmortem: Postmortem
    incident: Incident
    items: ItemCounts = field(default_factory=ItemCounts)
    marked: dict[str, datetime] = field(default_factory=dict)


def incident_date() -> Any:
    """The incident's date as the tracker shows and sorts it: its start, else when recorded."""
    return func.coalesce(col(Incident.started_at), col(Incident.created_at))


def scoped(stmt: Any, team_id: str | None, teams: Sequence[str] = ()) -> Any:
    """`stmt` (which selects from postmortem) limited to the workspace."""
    if teams:
        return stmt.where(col(Postmortem.team_id).in_(list(teams)))
    if team_id == EVERY_WORKSPACE:
        return stmt
    if team_id is None:
        return stmt.where(col(Postmortem.team_id).is_(None))
    return stmt.where(col(Postmortem.team_id) == team_id)


def _service_pattern(service: str) -> str:
    # Services are a JSON array stored as text: match the JSON string, wildcards escaped.
    quoted = json.dumps(service)
    return "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _overdue_items(today: date) -> Any:
    return exists().where(
        col(ActionItem.postmortem_id) == col(Postmortem.id),
        col(ActionItem.status).in_(OPEN_ITEM_STATUSES),
        col(ActionItem.due_on) < today,
    )


def _filtered(stmt: Any, team_id: str | None, f: TrackerFilter, now: datetime) -> Any:
    stmt = scoped(stmt, team_id, f.teams)
    if f.statuses:
        stmt = stmt.where(col(Postmortem.status).in_(list(f.statuses)))
    if f.open:
        stmt = stmt.where(col(Postmortem.status) != CLOSED)
    if f.severity is not None:
        stmt = stmt.where(col(Incident.severity) == f.severity)
    if f.service:
        pattern = _service_pattern(f.service)
        stmt = stmt.where(cast(col(Incident.services), Text).like(pattern, escape="\\"))
    if f.since is not None:
        stmt = stmt.where(incident_date() >= f.since)
    if f.until is not None:
        stmt = stmt.where(incident_date() < f.until)
    if f.overdue:
        late = and_(col(Postmortem.status).in_(OWED_STATUSES), col(Postmortem.due_at) < now)
        stmt = stmt.where(or_(late, _overdue_items(now.date())))
    if f.mine:
        owns_item = exists().where(
            col(ActionItem.postmortem_id) == col(Postmortem.id), col(ActionItem.owner_id) == f.mine
        )
        stmt = stmt.where(or_(col(Postmortem.owner_id) == f.mine,
                              col(Postmortem.facilitator_id) == f.mine, owns_item))
    return stmt


def _reads_incident(f: TrackerFilter) -> bool:
    return f.severity is not None or bool(f.service) or f.since is not None \
        or f.until is not None


def _joined(*columns: Any) -> Any:
    return select(*columns).select_from(Postmortem).join(
        Incident, col(Incident.id) == Postmortem.incident_id
    )


def tracker_page(
    session: Session, *, team_id: str | None, filters: TrackerFilter, now: datetime,
    offset: int = 0, limit: int | None = None,
) -> tuple[list[TrackerEntry], int]:
    """Post-mortems matching `filters`, newest first (as opened: ix_postmortem_team_created,
    or ix_postmortem_open for the open ones, gives a page without sorting the workspace), and
    how many match in all."""
    # Every post-mortem has its incident: the count joins it only when a filter reads it, so
    # `list`'s count is read from ix_postmortem_open alone.
    counted = _joined(func.count()) if _reads_incident(filters) \
        else select(func.count()).select_from(Postmortem)
    total = session.exec(_filtered(counted, team_id, filters, now)).one()
    stmt = _filtered(_joined(Postmortem, Incident), team_id, filters, now).order_by(
        col(Postmortem.created_at).desc(), col(Postmortem.id).desc()
    ).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    entries = [TrackerEntry(pm, inc) for pm, inc in session.exec(stmt).all()]
    fill_counts(session, entries, today=now.date())
    return entries, int(total)


def fill_counts(session: Session, entries: Sequence[TrackerEntry], *, today: date) -> None:
    """Each entry's action-item counts and marked milestones: two grouped reads per chunk."""
    by_id = {e.postmortem.id: e for e in entries}
    ids = [i for i in by_id if i is not None]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for pm_id, counts in item_counts(session, pm_ids=chunk, today=today).items():
            by_id[pm_id].items = counts
        for pm_id, marked in marked_milestones(session, pm_ids=chunk).items():
            by_id[pm_id].marked = marked


def item_counts(session: Session, *, pm_ids: Sequence[int], today: date) -> dict[int, ItemCounts]:
    status = col(ActionItem.status)
    late = and_(status.in_(OPEN_ITEM_STATUSES), col(ActionItem.due_on) < today)
    stmt = select(  # type: ignore[call-overload]
        col(ActionItem.postmortem_id), func.count(),
        func.sum(case((status == DONE, 1), else_=0)),
        func.sum(case((status == WONT_DO, 1), else_=0)),
        func.sum(case((late, 1), else_=0)),
    ).where(col(ActionItem.postmortem_id).in_(list(pm_ids))).group_by(
        col(ActionItem.postmortem_id)
    )
    return {
        pm_id: ItemCounts(int(n), int(done or 0), int(wont or 0), int(over or 0))
        for pm_id, n, done, wont, over in session.exec(stmt).all()
    }


def marked_milestones(session: Session, *, pm_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
    """The earliest timeline entry per milestone of each post-mortem ("" for unmarked ones)."""
    stmt = select(
        TimelineEntry.postmortem_id, TimelineEntry.milestone, func.min(TimelineEntry.occurred_at)
    ).where(col(TimelineEntry.postmortem_id).in_(list(pm_ids))).group_by(
        col(TimelineEntry.postmortem_id), col(TimelineEntry.milestone)
    )
    out: dict[int, dict[str, datetime]] = defaultdict(dict)
    for pm_id, milestone, first in session.exec(stmt).all():
        out[pm_id][milestone or ""] = first
    return out


def service_choices(session: Session, *, team_id: str | None, limit: int) -> list[str]:
    """The workspace's services, most incidents first (what the service filter offers):
    counted in the database over the JSON lists (SQLite json_each, PostgreSQL
    json_array_elements_text), so no list is parsed here."""
    if session.get_bind().dialect.name == "postgresql":
        each = "CROSS JOIN LATERAL json_array_elements_text(i.services) AS s(value)"
    else:
        each = "CROSS JOIN json_each(i.services) AS s"
    where = ""
    params: dict[str, Any] = {"limit": limit}
    if team_id != EVERY_WORKSPACE:
        where = "WHERE p.team_id = :team" if team_id is not None else "WHERE p.team_id IS NULL"
        params["team"] = team_id
    sql = (f"SELECT s.value, count(*) AS n FROM postmortem p JOIN incident i "
           f"ON i.id = p.incident_id {each} {where} GROUP BY s.value "
           f"ORDER BY n DESC, s.value LIMIT :limit")
    return [str(name) for name, _ in session.execute(text(sql), params).all()]


def team_choices(session: Session, *, team_id: str | None) -> list[str]:
    """The workspaces whose post-mortems this scope sees (more than one only for the export's
    every-workspace scope, or rows recorded before their workspace was)."""
    stmt = scoped(select(Postmortem.team_id).distinct(), team_id)
    return sorted(t for t in session.exec(stmt).all() if t)


def owed_postmortems(
    session: Session, *, user_id: str, team_id: str | None, limit: int
) -> tuple[list[tuple[Postmortem, Incident]], int]:
    """Post-mortems `user_id` writes or facilitates that are not published yet, nearest
    deadline first, and how many there are (ix_postmortem_owner_status,
    ix_postmortem_facilitator_status)."""
    mine = and_(or_(col(Postmortem.owner_id) == user_id,
                    col(Postmortem.facilitator_id) == user_id),
                col(Postmortem.status).in_(OWED_STATUSES))
    count = session.exec(scoped(select(func.count()).select_from(Postmortem), team_id)
                         .where(mine)).one()
    stmt = scoped(_joined(Postmortem, Incident), team_id).where(mine).order_by(
        col(Postmortem.due_at).asc(), col(Postmortem.id)
    ).limit(limit)
    return [(pm, inc) for pm, inc in session.exec(stmt).all()], int(count)


def open_items_in(
    session: Session, *, owner_id: str, team_id: str | None, today: date, limit: int
) -> tuple[list[tuple[ActionItem, Postmortem, Incident]], int, int]:
    """`owner_id`'s open action items in the workspace, the earliest due first (overdue ones
    are the earliest: the weekly nudge's order), and how many are open and overdue
    (ix_action_item_owner_status)."""
    status = col(ActionItem.status)
    mine = and_(col(ActionItem.owner_id) == owner_id, status.in_(OPEN_ITEM_STATUSES))
    late = and_(col(ActionItem.due_on).is_not(None), col(ActionItem.due_on) < today)
    counts = scoped(select(func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0))
                    .select_from(ActionItem)
                    .join(Postmortem, col(Postmortem.id) == ActionItem.postmortem_id),
                    team_id).where(mine)
    total, overdue = session.exec(counts).one()
    stmt = scoped(
        select(ActionItem, Postmortem, Incident)
        .join(Postmortem, col(Postmortem.id) == ActionItem.postmortem_id)
        .join(Incident, col(Incident.id) == Postmortem.incident_id),
        team_id,
    ).where(mine).order_by(
        col(ActionItem.due_on).is_(None), col(ActionItem.due_on), col(ActionItem.postmortem_id),
        col(ActionItem.number),
    ).limit(limit)
    return [(a, p, i) for a, p, i in session.exec(stmt).all()], int(total), int(overdue)


def find_in_workspace(
    session: Session, *, pm_id: int, team_id: str | None
) -> TrackerEntry | None:
    """One post-mortem as the tracker shows it, if the workspace may see it."""
    stmt = scoped(_joined(Postmortem, Incident), team_id).where(col(Postmortem.id) == pm_id)
    found = session.exec(stmt).first()
    if found is None:
        return None
    return TrackerEntry(*found)


def items_of(session: Session, *, pm_id: int) -> list[ActionItem]:
    """A post-mortem's action items in AI-n order."""
    stmt = select(ActionItem).where(ActionItem.postmortem_id == pm_id).order_by(
        col(ActionItem.number)
    )
    return list(session.exec(stmt).all())
