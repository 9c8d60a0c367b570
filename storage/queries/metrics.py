"""What the program metrics read (flows/metrics.py computes them), as SQL aggregates: counts
of post-mortems and action items, publish delays and milestone times as seconds, and which
incidents recurred. Times come back as epoch seconds computed by the database, so ten thousand
incidents cost no datetime parsing in Python.

Scoped like the tracker (storage/queries/tracker.py): `team_id` is a workspace, or
`EVERY_WORKSPACE`; `teams` names workspaces instead. A window is on the incident's date.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.kinds import CLOSED, DONE, OPEN_ITEM_STATUSES, PUBLISHED, WONT_DO
from storage.queries.tracker import incident_date, scoped
from storage.tables import ActionItem, Incident, Postmortem, Recurrence, TimelineEntry

# Seed 001's repeat: another incident on the same service within 90 days before.
RECURRENCE_WINDOW = timedelta(days=90)
UNIX_EPOCH_JULIAN_DAY = 2440587.5  # SQLite's julianday('1970-01-01')
CHUNK = 500


@dataclass(frozen=True)
class Window:
    team_id: str | None
    since: datetime | None = None
    until: datetime | None = None
    teams: tuple[str, ...] = ()

    def apply(self, stmt: Any) -> Any:
        stmt = scoped(stmt, self.team_id, self.teams)
        if self.since is not None:
            stmt = stmt.where(incident_date() >= self.since)
        if self.until is not None:
            stmt = stmt.where(incident_date() < self.until)
        return stmt


@dataclass(frozen=True)
class PostmortemTotals:
    postmortems: int
    required: int
    completed_required: int


@dataclass(frozen=True)
class ItemTotals:
    total: int
    done: int
    wont_do: int
    overdue: int


@dataclass(frozen=True)
class MilestoneTable:
    """Each incident's severity, month ("2026-11") and milestone times in epoch seconds, in
    the order of `kinds`: plain lists, since there are as many rows as incidents."""

    kinds: tuple[str, ...]
    rows: list[tuple[int, str, list[float | None]]]

    def column(self, kind: str) -> int:
        return self.kinds.index(kind)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def seconds(session: Session, expr: Any) -> ColumnElement[Any]:
    """A timestamp as Unix epoch seconds, in the database."""
    if _dialect(session) == "postgresql":
        return func.extract("epoch", expr)
    return (func.julianday(expr) - UNIX_EPOCH_JULIAN_DAY) * 86400.0


def month(session: Session, expr: Any) -> ColumnElement[Any]:
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", expr), "YYYY-MM")
    return func.strftime("%Y-%m", expr)


def _joined(*columns: Any) -> Any:
    return select(*columns).select_from(Postmortem).join(
        Incident, col(Incident.id) == Postmortem.incident_id
    )


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def postmortem_totals(session: Session, *, window: Window) -> PostmortemTotals:
    required = col(Postmortem.required).is_(True)
    completed = and_(required, or_(col(Postmortem.published_at).is_not(None),
                                   col(Postmortem.status).in_((PUBLISHED, CLOSED))))
    stmt = window.apply(_joined(func.count(), _sum(required), _sum(completed)))
    total, req, done = session.exec(stmt).one()
    return PostmortemTotals(int(total), int(req), int(done))


def publish_delays(session: Session, *, window: Window) -> list[tuple[float, bool]]:
    """(seconds from resolution to publication, published by its due date) for each
    post-mortem published so far."""
    published, due = col(Postmortem.published_at), col(Postmortem.due_at)
    on_time = case((or_(due.is_(None), published <= due), 1), else_=0)
    stmt = window.apply(_joined(
        seconds(session, published) - seconds(session, col(Incident.resolved_at)), on_time
    )).where(published.is_not(None), col(Incident.resolved_at).is_not(None))
    return [(float(delay), bool(ok)) for delay, ok in session.exec(stmt).all()]


def item_totals(session: Session, *, window: Window, today: Any) -> ItemTotals:
    """Action items of the window's post-mortems, counted in the database (from the index
    ix_action_item_pm_status_due alone; the incident is joined only for a date window)."""
    status = col(ActionItem.status)
    late = and_(status.in_(OPEN_ITEM_STATUSES), col(ActionItem.due_on) < today)
    counts = (func.count(), _sum(status == DONE), _sum(status == WONT_DO), _sum(late))
    dated = window.since is not None or window.until is not None
    base = _joined(*counts) if dated else select(*counts).select_from(Postmortem)
    stmt = window.apply(base.join(ActionItem, col(ActionItem.postmortem_id) == Postmortem.id))
    total, done, wont, overdue = session.exec(stmt).one()
    return ItemTotals(int(total), int(done), int(wont), int(overdue))


def milestone_seconds(
    session: Session, *, window: Window, fields: Mapping[str, str], start: str = "started"
) -> MilestoneTable:
    """Each incident's milestone times, resolved as flows.milestones does: the incident's own
    column (`fields`: milestone → column), else the earliest timeline entry marked with it;
    `start` falls back to the first entry of all. The timeline is read only for incidents
    missing one of the columns (most have them all)."""
    kinds = tuple(fields)
    stmt = window.apply(_joined(
        col(Postmortem.id), col(Incident.severity), month(session, incident_date()),
        *(seconds(session, getattr(Incident, field)) for field in fields.values()),
    ))
    rows = []
    missing: dict[int, list[float | None]] = {}
    for pm_id, severity, month_, *raw in session.exec(stmt).all():
        # PostgreSQL's extract() answers Decimal: floats from here on.
        times = [None if v is None else float(v) for v in raw]
        rows.append((severity, month_, times))
        if None in times:
            missing[pm_id] = times
    for pm_id, marks in _marked_seconds(session, list(missing)).items():
        times = missing[pm_id]
        for i, kind in enumerate(kinds):
            if times[i] is None:
                fallback = marks.get(kind)
                times[i] = marks.get("") if fallback is None and kind == start else fallback
    return MilestoneTable(kinds, rows)


def _marked_seconds(session: Session, pm_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Earliest timeline entry per milestone of each post-mortem, "" for the first of all."""
    out: dict[int, dict[str, float]] = {}
    at = col(TimelineEntry.occurred_at)
    for i in range(0, len(pm_ids), CHUNK):
        stmt = select(
            col(TimelineEntry.postmortem_id), col(TimelineEntry.milestone),
            func.min(seconds(session, at)),
        ).where(col(TimelineEntry.postmortem_id).in_(pm_ids[i:i + CHUNK])).group_by(
            col(TimelineEntry.postmortem_id), col(TimelineEntry.milestone)
        )
        for pm_id, kind, when in session.exec(stmt).all():
            marks = out.setdefault(int(pm_id), {})
            when = float(when)
            if kind:
                marks[str(kind)] = when
            marks[""] = min(marks.get("", when), when)
    return out


def recurring_incident_ids(
    session: Session, *, team_id: str | None, since: datetime | None,
    until: datetime | None = None, teams: Sequence[str] = (),
) -> set[int]:
    """Incidents dated in [since, until) that are a recurrence: another incident on one of the
    same services in the 90 days before, or an incident named when someone reported that an
    earlier post-mortem's incident happened again. With `unnamed_recurrences`, the one place
    recurrence is decided."""
    lookback = None if since is None else since - RECURRENCE_WINDOW
    window = Window(team_id, lookback, until, tuple(teams))
    at = seconds(session, incident_date())
    stmt = window.apply(_joined(
        col(Incident.id), at, cast(col(Incident.services), Text)
    )).order_by(at, col(Incident.id))
    start = None if since is None else since.timestamp()
    limit = RECURRENCE_WINDOW.total_seconds()
    parsed: dict[str, set[str]] = {}
    last_seen: dict[str, float] = {}
    found: set[int] = set()
    for incident_id, when, services in session.exec(stmt).all():
        if services not in parsed:  # a few hundred distinct lists among thousands of rows
            parsed[services] = {str(s).lower() for s in json.loads(services or "[]")}
        names, when = parsed[services], float(when)
        if (start is None or when >= start - 0.5) and any(
            n in last_seen and when - last_seen[n] <= limit + 0.5 for n in names
        ):
            found.add(incident_id)
        for n in names:
            last_seen[n] = when
    return found | _named_recurrences(session, Window(team_id, since, until, tuple(teams)))


def _named_recurrences(session: Session, window: Window) -> set[int]:
    """New incidents named in "It happened again" reports, dated by themselves and scoped by
    the post-mortem that recurred."""
    stmt = window.apply(
        select(col(Recurrence.incident_id)).select_from(Recurrence)
        .join(Incident, col(Incident.id) == Recurrence.incident_id)
        .join(Postmortem, col(Postmortem.id) == Recurrence.postmortem_id)
    )
    return {int(i) for i in session.exec(stmt).all() if i is not None}


def unnamed_recurrences(
    session: Session, *, team_id: str | None, since: datetime | None,
    until: datetime | None = None, teams: Sequence[str] = (),
) -> int:
    """Reports that an incident happened again without naming the new incident: each is one
    more recurring incident, dated by the report (the new incident has no row to date it)."""
    stmt = scoped(
        select(func.count()).select_from(Recurrence)
        .join(Postmortem, col(Postmortem.id) == Recurrence.postmortem_id)
        .where(col(Recurrence.incident_id).is_(None)), team_id, teams,
    )
    if since is not None:
        stmt = stmt.where(col(Recurrence.reported_at) >= since)
    if until is not None:
        stmt = stmt.where(col(Recurrence.reported_at) < until)
    return int(session.exec(stmt).one())
