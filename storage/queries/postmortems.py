"""The queries the process needs. Keyword-only; they raise, never log-and-return-None."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, func, or_, update
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col, select

from storage.errors import NotFound
from storage.kinds import CLOSED
from storage.queries.plain_parts import PlainPart
from storage.record import (
    ActionItemRow,
    ComplianceRow,
    DecisionRow,
    DocumentRow,
    EventRow,
    FactorRow,
    LearningRow,
    PostmortemRecord,
    ReadTimeline,
    ReferenceRow,
    TimelineColumns,
    TimelineItem,
    WhyItem,
)
from storage.tables import (
    ActionItem,
    AuditEvent,
    ComplianceTick,
    ContributingFactor,
    Document,
    Incident,
    Learning,
    Postmortem,
    Reference,
    ReviewDecision,
    TimelineEntry,
    Why,
)
from storage.types import from_sqlite_many


def get_postmortem(session: Session, *, pm_id: int) -> Postmortem:
    pm = session.get(Postmortem, pm_id)
    if pm is None:
        raise NotFound(f"There is no post-mortem #{pm_id}.")
    return pm


def get_incident(session: Session, *, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"There is no incident #{incident_id}.")
    return incident


def find_postmortem_by_message(session: Session, *, channel_id: str, ts: str) -> Postmortem | None:
    stmt = select(Postmortem).where(
        Postmortem.channel_id == channel_id, Postmortem.message_ts == ts
    )
    return session.exec(stmt).first()


def find_postmortems_in_channel(
    session: Session, *, channel_id: str, team_id: str | None = None
) -> Sequence[Postmortem]:
    """The channel's post-mortems, newest first (a channel may host several); with `team_id`,
    only that workspace's (and those of no known workspace)."""
    stmt = (
        select(Postmortem)
        .where(Postmortem.channel_id == channel_id)
        .order_by(col(Postmortem.id).desc())
    )
    if team_id:
        team = col(Postmortem.team_id)
        stmt = stmt.where(or_(team.is_(None), team == team_id))
    return session.exec(stmt).all()


def find_incident_by_external(
    session: Session, *, source: str, external_id: str
) -> Incident | None:
    stmt = select(Incident).where(Incident.source == source, Incident.external_id == external_id)
    return session.exec(stmt).first()


def get_postmortem_for_incident(session: Session, *, incident_id: int) -> Postmortem | None:
    return session.exec(select(Postmortem).where(Postmortem.incident_id == incident_id)).first()


def preload(session: Session, *, pm_ids: set[int]) -> list[Postmortem | Incident]:
    """Read these post-mortems and their incidents into the session in two queries, so that
    `session.get` finds them there afterwards. The session's identity map holds objects only
    weakly: keep the list returned for as long as those `get`s should find them."""
    if not pm_ids:
        return []
    pms = session.exec(_PRELOAD_PMS, params={"ids": sorted(pm_ids)}).all()
    incident_ids = sorted({pm.incident_id for pm in pms})
    incidents = session.exec(_PRELOAD_INCIDENTS, params={"ids": incident_ids}).all()
    return [*pms, *incidents]


# Built once, the ids bound per call: building an IN of literals costs more than the read.
_PRELOAD_PMS = select(Postmortem).where(col(Postmortem.id).in_(bindparam("ids", expanding=True)))
_PRELOAD_INCIDENTS = select(Incident).where(
    col(Incident.id).in_(bindparam("ids", expanding=True))
)


def load_summary(session: Session, *, pm_id: int) -> PostmortemRecord:
    """What the control message and the section modals show: every part but the stored
    document versions and the audit trail, which only review and the document need."""
    return load_record(session, pm_id=pm_id, history=False)


_ENTRY_COLUMNS = TimelineEntry.__table__.c  # type: ignore[attr-defined]
_PM_ID: BindParameter[int] = bindparam("pm_id")
# Columns, not entities: the record's timeline is plain data (storage/record.py).
_TIMELINE = PlainPart(TimelineItem, TimelineEntry, _ENTRY_COLUMNS.occurred_at, _ENTRY_COLUMNS.id)


# One query for the two, not two lookups: each query's fixed cost is most of a short one's.
_POSTMORTEM_AND_INCIDENT = (
    select(Postmortem, Incident)
    .join(Incident, col(Incident.id) == col(Postmortem.incident_id))
    .where(col(Postmortem.id) == _PM_ID)
)


_WHYS = PlainPart(WhyItem, Why, Why.position)
_FACTORS = PlainPart(FactorRow, ContributingFactor, ContributingFactor.id)
_LEARNINGS = PlainPart(LearningRow, Learning, Learning.id)
_ACTION_ITEMS = PlainPart(ActionItemRow, ActionItem, ActionItem.number)
_REFERENCES = PlainPart(ReferenceRow, Reference, Reference.id)
_COMPLIANCE = PlainPart(ComplianceRow, ComplianceTick, ComplianceTick.id)
_DECISIONS = PlainPart(DecisionRow, ReviewDecision, ReviewDecision.id)
_DOCUMENTS = PlainPart(DocumentRow, Document, Document.id)  # not the Markdown (DocumentRow)
_EVENTS = PlainPart(EventRow, AuditEvent, AuditEvent.id)


def _timeline(conn: Connection, pm_id: int) -> ReadTimeline:
    # The driver's own rows (plain_parts.py), taken as columns: result rows cost more to
    # build than to read, and the record keeps the columns (ReadTimeline). In batches: a
    # whole long timeline's rows alive at once set off the collector several times per read.
    # Only the time needs converting (storage/types.py).
    parse = _times_parser(conn.dialect)
    columns = TimelineColumns([], [], [], [], [], [], [])
    rest_of: tuple[list[Any], ...] = columns[2:]
    with _TIMELINE.executed(conn, pm_id) as cursor:
        while rows := cursor.fetchmany(_BATCH):
            ids, at, *rest = zip(*rows, strict=True)
            columns.id.extend(ids)
            columns.occurred_at.extend(parse(at))
            for column, values in zip(rest_of, rest, strict=True):
                column.extend(values)
    return ReadTimeline(columns)


_BATCH = 256


def _times_parser(dialect: Dialect) -> Callable[[Sequence[Any]], Iterable[Any]]:
    """The driver's values of `occurred_at` to aware datetimes, a batch at a time."""
    if dialect.name == "sqlite":
        return from_sqlite_many
    one = _ENTRY_COLUMNS.occurred_at.type.result_processor(dialect, None)
    if one is None:
        return lambda values: values
    return lambda values: map(one, values)


def load_record(session: Session, *, pm_id: int, history: bool = True) -> PostmortemRecord:
    """The post-mortem with every part, each list in the order the document shows it."""
    params = {"pm_id": pm_id}
    both = session.exec(_POSTMORTEM_AND_INCIDENT, params=params).first()
    if both is None:  # say which one is missing
        pm = get_postmortem(session, pm_id=pm_id)
        incident = get_incident(session, incident_id=pm.incident_id)
    else:
        pm, incident = both

    conn = session.connection()
    record = PostmortemRecord(
        incident=incident,
        postmortem=pm,
        timeline=_timeline(conn, pm_id),
        whys=_WHYS.rows(conn, pm_id),
        factors=_FACTORS.rows(conn, pm_id),
        learnings=_LEARNINGS.rows(conn, pm_id),
        action_items=_ACTION_ITEMS.rows(conn, pm_id),
        references=_REFERENCES.rows(conn, pm_id),
        compliance=_COMPLIANCE.rows(conn, pm_id),
    )
    if history:
        record.decisions = _DECISIONS.rows(conn, pm_id)
        record.documents = _DOCUMENTS.rows(conn, pm_id)
        record.events = _EVENTS.rows(conn, pm_id)
    return record


def get_document(session: Session, *, pm_id: int, document_id: int) -> Document:
    """One stored version with its Markdown (the record's versions come without it)."""
    document = session.get(Document, document_id)
    if document is None or document.postmortem_id != pm_id:
        raise NotFound(f"Post-mortem #{pm_id} has no stored version #{document_id}.")
    return document


def bump_version(session: Session, *, pm_id: int) -> int:
    """Count one more change to the post-mortem, atomically (concurrent writers each get
    their own number); returns the new version."""
    stmt = (
        update(Postmortem)
        .where(col(Postmortem.id) == pm_id)
        .values(version=col(Postmortem.version) + 1)
        .returning(col(Postmortem.version))
    )
    version = session.execute(stmt).scalar_one_or_none()
    if version is None:
        raise NotFound(f"There is no post-mortem #{pm_id}.")
    return int(version)


def count_incidents_since(session: Session, *, since: datetime, until: datetime) -> int:
    stmt = (
        select(func.count())
        .select_from(Incident)
        .where(Incident.created_at >= since, Incident.created_at < until)
    )
    return int(session.exec(stmt).one())


def next_incident_sequence(session: Session, *, day_start: datetime) -> int:
    """The next NNN of INC-YYYY-MM-DD-NNN for the day starting at `day_start` (UTC)."""
    prefix = f"INC-{day_start:%Y-%m-%d}-"
    stmt = select(Incident.reference).where(col(Incident.reference).startswith(prefix))
    numbers = [int(ref.rsplit("-", 1)[1]) for ref in session.exec(stmt).all() if ref[-3:].isdigit()]
    return max(numbers, default=0) + 1


def service_had_incident(
    session: Session, *, services: Sequence[str], since: datetime, exclude_id: int | None = None
) -> bool:
    """Did any of `services` have another incident since `since`? (SEV2 repeat rule)."""
    if not services:
        return False
    wanted = {s.lower() for s in services}
    stmt = select(Incident).where(Incident.created_at >= since)
    for incident in session.exec(stmt).all():
        if incident.id != exclude_id and wanted & {s.lower() for s in incident.services}:
            return True
    return False


def day_bounds(at: datetime) -> tuple[datetime, datetime]:
    start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def find_incident_by_reference(session: Session, *, reference: str) -> Incident | None:
    return session.exec(select(Incident).where(Incident.reference == reference)).first()


def open_postmortems(
    session: Session, *, team_id: str | None, limit: int
) -> list[tuple[Postmortem, Incident]]:
    """A workspace's post-mortems not yet closed (and those of no known workspace), the
    nearest deadline first, with their incidents."""
    stmt = (
        select(Postmortem, Incident)
        .join(Incident, col(Incident.id) == Postmortem.incident_id)
        .where(Postmortem.status != CLOSED)
        .where(or_(col(Postmortem.team_id).is_(None), col(Postmortem.team_id) == team_id))
        .order_by(col(Postmortem.due_at).asc())
        .limit(limit)
    )
    return [(pm, incident) for pm, incident in session.exec(stmt).all()]
