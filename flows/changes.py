"""Recording a change to a post-mortem: `updated_at` moves and the audit trail says who did
what. Every transition and section edit ends here, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.queries import audit
from storage.tables import AuditEvent, Postmortem


def record_change(
    session: Session, pm: Postmortem, *, actor_id: str | None, now: datetime, kind: str,
    summary: str, detail: dict[str, Any] | None = None,
) -> AuditEvent:
    assert pm.id is not None
    pm.updated_at = now
    session.add(pm)
    return audit.add_event(session, pm_id=pm.id, actor_id=actor_id, at=now, kind=kind,
                           summary=summary, detail=detail)


def apply_fields(row: Any, names: tuple[str, ...], changes: dict[str, Any]) -> list[str]:
    """Set the given fields that differ; returns the names that changed, in `names` order."""
    changed = []
    for name in names:
        if name in changes and getattr(row, name) != changes[name]:
            setattr(row, name, changes[name])
            changed.append(name)
    return changed
