"""Sections that are a group of the post-mortem's own fields, edited by its editors in one
form: communication, supporting data and follow-up, Bilko's financial questions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from flows.changes import apply_fields, record_change
from flows.inputs import (
    COMMUNICATION_FIELDS,
    FINANCE_TEXT_FIELDS,
    FOLLOW_UP_FIELDS,
    SUPPORTING_FIELDS,
    TextField,
)
from flows.permissions import Actor, require_editor
from storage.queries import postmortems
from storage.record import PostmortemRecord


@dataclass(frozen=True)
class FieldGroup:
    key: str  # the audit event's kind
    name: str  # "edit the communication", "updated the communication: …"
    fields: tuple[TextField, ...]
    extra: tuple[str, ...] = ()  # columns the form sets that are not text

    @property
    def columns(self) -> tuple[str, ...]:
        return (*(f.name for f in self.fields), *self.extra)

    def label(self, column: str) -> str:
        found = next((f.label for f in self.fields if f.name == column), None)
        return (found or column.replace("_", " ")).rstrip("?").lower()


COMMUNICATION = FieldGroup("communication", "the communication", COMMUNICATION_FIELDS)
SUPPORTING = FieldGroup("supporting", "the supporting data and follow-up",
                        SUPPORTING_FIELDS + FOLLOW_UP_FIELDS)
FINANCE = FieldGroup("finance", "the financial questions", FINANCE_TEXT_FIELDS,
                     extra=("finance_modules",))


def save_fields(
    session: Session, *, pm_id: int, actor: Actor, group: FieldGroup,
    changes: Mapping[str, Any], now: datetime,
) -> list[str]:
    """Apply a group's values (read with its `read_*` first); returns the columns that
    changed, audited when any did."""
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_editor(pm, actor.user_id, f"edit {group.name}", team_id=actor.team_id)
    changed = apply_fields(pm, group.columns, dict(changes))
    if changed:
        record_change(session, pm, actor_id=actor.user_id, now=now, kind=group.key,
                      summary=f"edited {group.name}", detail={"fields": changed})
    return changed


def for_editing(session: Session, *, pm_id: int, actor: Actor, what: str) -> PostmortemRecord:
    """The post-mortem as a section modal shows it, for an editor about to `what` it."""
    record = postmortems.load_summary(session, pm_id=pm_id)
    require_editor(record.postmortem, actor.user_id, what, team_id=actor.team_id)
    return record
