"""The audit trail: who changed what on a post-mortem, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.tables import AuditEvent


def add_event(
    session: Session,
    *,
    pm_id: int,
    actor_id: str | None,
    at: datetime,
    kind: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        postmortem_id=pm_id,
        actor_id=actor_id,
        at=at,
        kind=kind,
        summary=summary,
        detail=detail or {},
    )
    session.add(event)
    return event
