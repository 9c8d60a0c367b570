"""Rows for the reminder tests, written straight to the database with SQLModel."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from storage.tables import ActionItem, Incident, Postmortem

_refs = itertools.count(1)


def add_postmortem(
    session: Session, *, now: datetime, severity: int = 1, title: str | None = None, **pm: Any
) -> tuple[Incident, Postmortem]:
    """An incident and its post-mortem (flushed, so both have ids)."""
    n = next(_refs)
    incident = Incident(
        reference=f"INC-2025-10-01-{n:03d}", title=title or f"Incident {n}", severity=severity,
        services=["api"], created_at=now, resolved_at=now,
    )
    session.add(incident)
    session.flush()
    fields: dict[str, Any] = {
        "incident_id": incident.id, "owner_id": "U0OWNER", "facilitator_id": "U0OWNER",
        "created_at": now, "updated_at": now,
    }
    postmortem = Postmortem(**(fields | pm))
    session.add(postmortem)
    session.flush()
    return incident, postmortem


def add_item(
    session: Session, pm: Postmortem, *, number: int, owner_id: str, now: datetime,
    due_on: date | None = None, status: str = "open", title: str | None = None,
    priority: str = "P2",
) -> ActionItem:
    assert pm.id is not None
    item = ActionItem(
        postmortem_id=pm.id, number=number, title=title or f"Item {number} of #{pm.id}",
        owner_id=owner_id, due_on=due_on, status=status, priority=priority, created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    return item
