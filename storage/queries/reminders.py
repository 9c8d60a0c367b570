"""Reminder rows, written: insert once, cancel or move with the change that causes it, snooze.

Every function runs inside the caller's transaction (`session_scope`). Claiming and settling
the rows a sweep sends lives in storage/queries/claims.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.kinds import (
    CANCELLED,
    DEADLINE,
    ESCALATION,
    FOLLOW_UP,
    LIVE,
    NUDGE,
    PENDING,
    SENT,
    SNOOZE,
)
from storage.tables import ActionItem, Postmortem, Reminder

REMINDER = Reminder.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    "dedupe_key", "kind", "postmortem_id", "action_item_id", "target", "due_at", "status",
    "lease_until", "claimed_by", "attempts", "last_error", "sent_at", "payload", "team_id",
    "unsure", "slack_channel", "slack_ts",
)


def _fill_teams(session: Session, params: list[dict[str, Any]]) -> None:
    """A row about a post-mortem is sent in that post-mortem's workspace (with its token),
    whoever planned it."""
    wanted = {p["postmortem_id"] for p in params if p["postmortem_id"] and not p["team_id"]}
    if not wanted:
        return
    stmt = select(Postmortem.id, Postmortem.team_id).where(col(Postmortem.id).in_(wanted))
    teams = {pm_id: team for pm_id, team in session.exec(stmt).all()}
    for p in params:
        if p["postmortem_id"] and not p["team_id"]:
            p["team_id"] = teams.get(p["postmortem_id"])


def team_of_row(session: Session, row: Reminder) -> str | None:
    """The workspace a row is sent in: its own, else its post-mortem's, else (a nudge) that of
    the post-mortems whose items its owner holds."""
    if row.team_id:
        return row.team_id
    if row.postmortem_id:
        pm = session.get(Postmortem, row.postmortem_id)
        return pm.team_id if pm else None
    if row.kind == NUDGE and row.target:
        stmt = (
            select(Postmortem.team_id)
            .join(ActionItem, col(ActionItem.postmortem_id) == Postmortem.id)
            .where(ActionItem.owner_id == row.target, col(Postmortem.team_id).is_not(None))
            .limit(1)
        )
        return session.exec(stmt).first()
    return None


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _values(row: Reminder) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["status"] = values["status"] or PENDING
    values["attempts"] = values["attempts"] or 0
    values["payload"] = values["payload"] or {}
    values["unsure"] = bool(values["unsure"])
    return values


def add_reminders(session: Session, rows: Iterable[Reminder]) -> int:
    """Insert rows whose dedupe key is new; the rest are left as they are. Returns inserted."""
    return len(insert_reminders(session, rows))


def insert_reminders(session: Session, rows: Iterable[Reminder]) -> list[int]:
    """`add_reminders`, returning the new rows' ids (to deliver them right after the commit)."""
    params = [_values(r) for r in rows]
    _fill_teams(session, params)
    if not params:
        return []
    name = dialect(session)
    # Each dialect's module is imported by its first use (as in keys.claim_key).
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        stmt: Any = postgresql.insert(REMINDER)
    elif name == "sqlite":
        from sqlalchemy.dialects import sqlite

        stmt = sqlite.insert(REMINDER)
    else:
        raise RuntimeError(f"add_reminders supports SQLite and PostgreSQL, not {name}")
    stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(REMINDER.c.id)
    return [int(row[0]) for row in session.execute(stmt, params).all()]


def cancel_reminders(
    session: Session,
    *,
    kinds: Iterable[str],
    now: datetime,
    pm_id: int | None = None,
    item_id: int | None = None,
    reason: str = "moot",
) -> int:
    """Cancel the post-mortem's (or action item's) live reminders of `kinds`. Returns how many.

    Claimed rows are cancelled too: a sweep that is sending one right now loses its mark_sent,
    and a crashed sweep's row is not picked up again when its lease runs out.
    """
    kinds = tuple(kinds)
    if not kinds or (pm_id is None and item_id is None):
        return 0
    stmt = update(Reminder).where(
        REMINDER.c.kind.in_(kinds), REMINDER.c.status.in_(LIVE)
    ).values(
        status=CANCELLED, lease_until=None, last_error=f"{reason} ({now:%Y-%m-%d %H:%M} UTC)"
    )
    if pm_id is not None:
        stmt = stmt.where(REMINDER.c.postmortem_id == pm_id)
    if item_id is not None:
        stmt = stmt.where(REMINDER.c.action_item_id == item_id)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def move_reminders(
    session: Session,
    *,
    pm_id: int,
    rows: Sequence[Reminder],
    now: datetime,
    kinds: Iterable[str] = (DEADLINE, ESCALATION),
) -> int:
    """Make the post-mortem's reminders of `kinds` match a fresh plan (`replan_deadline`).

    Rows in the plan move to their new time and target; one already sent is sent again only
    when its new time is still ahead (the deadline moved out, so the "24 h left" is news
    again). Live rows the plan no longer has are cancelled. Returns rows changed.
    """
    kinds = tuple(kinds)
    stmt = select(Reminder).where(
        Reminder.postmortem_id == pm_id, col(Reminder.kind).in_(kinds)
    )
    existing = {r.dedupe_key: r for r in session.exec(stmt).all()}
    changed, new = 0, []
    for planned in rows:
        old = existing.pop(planned.dedupe_key, None)
        if old is None:
            new.append(planned)
            continue
        moved = old.due_at != planned.due_at or old.target != planned.target
        if old.status == SENT and not (moved and planned.due_at > now):
            continue
        if old.status in LIVE and not moved and old.payload == planned.payload:
            continue
        old.due_at, old.target, old.payload = planned.due_at, planned.target, planned.payload
        old.status, old.attempts, old.last_error, old.unsure = PENDING, 0, None, False
        old.lease_until = old.claimed_by = old.sent_at = None
        changed += 1
    for stale in existing.values():
        if stale.status in LIVE:
            stale.status, stale.lease_until, stale.last_error = CANCELLED, None, "replanned"
            changed += 1
    session.flush()
    return changed + add_reminders(session, new)


def snooze_action_item(session: Session, *, row: Reminder) -> None:
    """Keep an item out of its owner's nudges until `row.due_at` (from `plan_snooze`)."""
    if add_reminders(session, [row]):
        return
    existing = session.exec(select(Reminder).where(Reminder.dedupe_key == row.dedupe_key)).one()
    existing.due_at, existing.status, existing.last_error = row.due_at, PENDING, None
    session.flush()


def snoozed_items(session: Session, *, item_ids: Iterable[int], now: datetime) -> set[int]:
    ids = list(item_ids)
    if not ids:
        return set()
    stmt = select(Reminder.action_item_id).where(
        col(Reminder.action_item_id).in_(ids),
        Reminder.kind == SNOOZE,
        Reminder.status == PENDING,
        Reminder.due_at > now,
    )
    return {i for i in session.exec(stmt).all() if i is not None}


def follow_ups_of(session: Session, *, pm_id: int) -> list[Reminder]:
    """The post-mortem's check-ins after publishing, whatever their state."""
    stmt = select(Reminder).where(Reminder.postmortem_id == pm_id, Reminder.kind == FOLLOW_UP)
    return list(session.exec(stmt).all())
