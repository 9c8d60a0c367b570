"""Rows people add to a post-mortem one by one — timeline entries, learnings, references — and
may change or delete when they added them; the editors may change anyone's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlmodel import Session

from flows.changes import record_change
from flows.permissions import Actor, require_editor_or_creator
from storage.queries import parts, postmortems
from storage.tables import Postmortem


class Owned(Protocol):
    id: int | None
    postmortem_id: int
    created_by: str | None


R = TypeVar("R", bound=Owned)


def owned_row(
    session: Session, model: type[R], *, pm_id: int, row_id: int, actor: Actor, what: str,
    missing: str,
) -> tuple[Postmortem, R]:
    """The row, once `actor` may `what` ("delete someone else's entry") it."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    row = parts.get_part(session, model, pm_id=pm_id, part_id=row_id, missing=missing)
    require_editor_or_creator(pm, actor.user_id, row.created_by, what, team_id=actor.team_id)
    return pm, row


@dataclass(frozen=True)
class RowKind(Generic[R]):
    """One kind of owned row: who may delete it, what a vanished one says, its audit event
    (`audit(row)` gives the summary and detail that keep what the row said)."""

    model: type[R]
    what: str  # "delete someone else's entry"
    missing: str
    deleted: str
    audit: Callable[[R], tuple[str, dict[str, Any]]]


def delete_owned(
    session: Session, kind: RowKind[R], *, pm_id: int, row_id: int, actor: Actor, now: datetime
) -> R:
    pm, row = owned_row(session, kind.model, pm_id=pm_id, row_id=row_id, actor=actor,
                        what=kind.what, missing=kind.missing)
    summary, detail = kind.audit(row)
    record_change(session, pm, actor_id=actor.user_id, now=now, kind=kind.deleted,
                  summary=summary, detail=detail)
    parts.delete_part(session, row)
    return row
