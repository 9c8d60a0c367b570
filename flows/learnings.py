"""Learnings: what went well, poorly, lucky, surprises and the lessons, as lists of entries.
Anyone in the incident channel may add; people delete their own, the editors anyone's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from flows.changes import record_change
from flows.errors import FieldErrors
from flows.owned import RowKind
from flows.permissions import Actor, require_participant
from storage.queries import parts, postmortems
from storage.tables import Learning

LEARNING_KINDS = {
    "went_well": "What went well",
    "went_poorly": "What went poorly",
    "lucky": "Where we got lucky",
    "surprise": "Surprising findings",
    "lesson_technical": "Technical lessons",
    "lesson_process": "Process lessons",
    "lesson_culture": "Culture lessons",
}
ENTRIES_MAX = 3000  # the whole typed list: one Slack text input


def read_learnings(kind: str | None, typed: str | None) -> tuple[str, list[str]]:
    """The list picked and one entry per typed line, bullets stripped; errors by field name."""
    errors: dict[str, str] = {}
    if not isinstance(kind, str) or kind not in LEARNING_KINDS:
        errors["kind"] = "Pick which list these entries belong to."
    text = typed if isinstance(typed, str) else ""
    entries = [e for e in (line.strip(" •-*\t") for line in text.splitlines()) if e]
    if len(text) > ENTRIES_MAX:
        errors["entries"] = f"Keep this under {ENTRIES_MAX} characters (it has {len(text)})."
    elif not entries:
        errors["entries"] = "Type at least one entry (one per line)."
    if errors:
        raise FieldErrors(errors)
    assert kind is not None
    return kind, entries


def add_learnings(
    session: Session, *, pm_id: int, actor: Actor, kind: str, entries: list[str],
    in_channel: Callable[[], bool], now: datetime,
) -> list[Learning]:
    pm = postmortems.get_postmortem(session, pm_id=pm_id)
    require_participant(pm, actor, in_channel=in_channel)
    rows = parts.add_parts(session, [
        Learning(postmortem_id=pm_id, kind=kind, text=text, created_by=actor.user_id,
                 created_at=now)
        for text in entries
    ])
    record_change(session, pm, actor_id=actor.user_id, now=now, kind="learnings",
                  summary=f"added {len(rows)} to {LEARNING_KINDS[kind]}",
                  detail={"ids": [r.id for r in rows]})
    return rows


LEARNING = RowKind(Learning, "delete others' entries", "That entry was already deleted.",
                   "learning_deleted",
                   lambda row: ("deleted a learning", {"kind": row.kind, "text": row.text}))
