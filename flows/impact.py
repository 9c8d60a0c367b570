"""Impact: duration (computed, editable), users, requests, data, revenue, SLA, error budget,
support load, regulatory notification. Every field optional."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from flows.changes import apply_fields, record_change
from flows.durations import impact_window
from flows.permissions import Actor, require_editor
from storage.queries import postmortems
from storage.record import PostmortemRecord

TEXT_FIELDS = (
    "users_affected", "requests_failed", "customer_impact", "data_impact", "revenue_impact",
    "sla_breach", "error_budget_used", "support_tickets", "regulatory_notification",
)
FIELDS = ("impact_minutes", "slo_target", *TEXT_FIELDS)


def computed_minutes(record: PostmortemRecord) -> int | None:
    """The duration the form shows when none was entered: started → mitigated (or resolved)."""
    if record.postmortem.impact_minutes is not None:
        return None
    duration = impact_window(record)
    return None if duration is None else int(duration.total_seconds() // 60)


def save_impact(
    session: Session, *, pm_id: int, actor: Actor, changes: dict[str, Any], now: datetime
) -> list[str]:
    """Apply the form's values; returns the fields that changed (audited when any did)."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "edit the impact", team_id=actor.team_id)
    changed = apply_fields(pm, FIELDS, changes)
    if changed:
        record_change(session, pm, actor_id=actor.user_id, now=now, kind="impact",
                      summary="edited the impact", detail={"fields": changed})
    return changed
