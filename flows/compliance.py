"""Seed 004's "Compliance & Archival" checklist: items a person ticks, with who and when."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from flows.changes import record_change
from flows.errors import FieldErrors
from flows.permissions import Actor, require_editor
from storage.queries import parts, postmortems
from storage.tables import ComplianceTick

FIELD = "compliance"
# key -> the seed's question, word for word but for "tracker tickets (e.g. Jira)": the bot
# pushes action items to GitHub or Jira.
ARB_ITEMS: dict[str, str] = {
    "arb_shared": "Has this report been shared with the Architecture Review Board (ARB)?",
    "tickets_created": "Have the “Corrective Actions” been turned into tracker tickets "
    "(e.g. Jira)?",
    "incident_log_linked": "Is this report linked in the Incident Log for future reference?",
}


def read_compliance(selected: Iterable[str] | None) -> set[str]:
    """The items ticked in a checkbox group; anything unknown is an error, not ignored."""
    keys = {k.strip() for k in selected or () if k and k.strip()}
    unknown = sorted(keys - set(ARB_ITEMS))
    if unknown:
        raise FieldErrors({FIELD: f"Unknown checklist item: {', '.join(unknown)}."})
    return keys


@dataclass(frozen=True)
class TickChanges:
    add: list[ComplianceTick]
    remove: list[ComplianceTick]

    def describe(self) -> str:
        """For the audit trail and the thread: "ticked arb_shared; unticked …"."""
        parts = []
        if self.add:
            parts.append("ticked " + ", ".join(t.item for t in self.add))
        if self.remove:
            parts.append("unticked " + ", ".join(t.item for t in self.remove))
        return "; ".join(parts)


def tick_changes(
    pm_id: int, current: Sequence[ComplianceTick], wanted: set[str], *, user_id: str,
    now: datetime,
) -> TickChanges:
    """Rows to add and delete so exactly `wanted` is ticked; existing ticks keep their author."""
    have = {t.item: t for t in current}
    add = [ComplianceTick(postmortem_id=pm_id, item=k, ticked_by=user_id, ticked_at=now)
           for k in ARB_ITEMS if k in wanted and k not in have]
    remove = [t for k, t in have.items() if k not in wanted]
    return TickChanges(add, remove)


def save_compliance(
    session: Session, *, pm_id: int, actor: Actor, ticked: set[str], now: datetime
) -> TickChanges:
    """Exactly `ticked` is ticked afterwards; audited when anything changed."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, "tick the ARB checklist", team_id=actor.team_id)
    current = parts.compliance_ticks(session, pm_id=pm_id)
    changes = tick_changes(pm_id, current, ticked, user_id=actor.user_id, now=now)
    parts.add_parts(session, changes.add)
    for tick in changes.remove:
        parts.delete_part(session, tick)
    if changes.add or changes.remove:
        record_change(session, pm, actor_id=actor.user_id, now=now, kind="compliance",
                      summary=changes.describe())
    return changes
