"""Forgetting a person: their Slack user id and their names replaced with a tombstone in every
record of every table, and each post-mortem touched told so in its audit log.

Every table in the database is read (slack_sdk's installation tables too), every text and JSON
value searched: a person's id hides in roles, lists of reviewers, mentions inside free text,
rendered documents, audit details and outbox payloads alike. Rows keyed by the person (their
resolved name, their App Home) are deleted outright.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, MetaData, String, Table, Text, delete, select, update
from sqlalchemy.types import TypeEngine

from storage.tables import AuditEvent
from storage.workspace_tables import HomeTab, Person

TOMBSTONE_ID = "U0FORGOTTEN"
TOMBSTONE_NAME = "former member"
FORGOTTEN = "person.forgotten"


@dataclass
class Forgotten:
    rows: int = 0
    deleted: int = 0
    postmortems: set[int] = field(default_factory=set)


def _is_text(kind: TypeEngine[Any]) -> bool:
    return isinstance(kind, String | Text)


def _is_json(kind: TypeEngine[Any]) -> bool:
    return isinstance(kind, JSON)


class _Replacer:
    def __init__(self, user_id: str, names: Iterable[str]) -> None:
        # The whole id only: forgetting U0AL leaves U0ALICE alone.
        self.user_id = re.compile(rf"(?<![A-Z0-9]){re.escape(user_id)}(?![A-Z0-9])")
        # Names as words, in any case: "Bob" and "bob" go, "bobsled" stays.
        wanted = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
        self.names = re.compile(
            "|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in wanted), re.IGNORECASE
        ) if wanted else None

    def text(self, value: str) -> str:
        out = self.user_id.sub(TOMBSTONE_ID, value)
        if self.names is not None:
            out = self.names.sub(TOMBSTONE_NAME, out)
        return out

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.json(v) for k, v in value.items()}
        return value


def forget_user(
    conn: Connection, *, user_id: str, names: Iterable[str] = (), now: datetime
) -> Forgotten:
    """Replace `user_id` and `names` (plus every display name the bot resolved for them)
    everywhere, in the caller's transaction; audit each post-mortem touched."""
    people: Table = Person.__table__  # type: ignore[attr-defined]
    known = conn.execute(
        select(people.c.display_name).where(people.c.user_id == user_id)
    ).scalars().all()
    replacer = _Replacer(user_id, [*names, *known])
    result = Forgotten()
    homes: Table = HomeTab.__table__  # type: ignore[attr-defined]
    for table in (people, homes):
        result.deleted += conn.execute(delete(table).where(table.c.user_id == user_id)).rowcount
    meta = MetaData()
    meta.reflect(bind=conn)
    for table in meta.sorted_tables:
        if table.name == "alembic_version":
            continue
        _scrub(conn, table, replacer, result)
    audit: Table = AuditEvent.__table__  # type: ignore[attr-defined]
    for pm_id in sorted(result.postmortems):
        conn.execute(audit.insert().values(
            postmortem_id=pm_id, actor_id=None, at=now, kind=FORGOTTEN,
            summary="A person's name and Slack id were replaced with a tombstone "
                    "(postmortem-bot forget-user).",
            detail={"tombstone_id": TOMBSTONE_ID, "tombstone_name": TOMBSTONE_NAME},
        ))
    return result


def _scrub(conn: Connection, table: Table, replacer: _Replacer, result: Forgotten) -> None:
    keys = list(table.primary_key.columns)
    columns = [c for c in table.columns if (_is_text(c.type) or _is_json(c.type))
               and not c.primary_key]
    if not keys or not columns:
        return
    owner = [table.c.postmortem_id] if "postmortem_id" in table.c else []
    for row in conn.execute(select(*keys, *owner, *columns)).mappings():
        changed: dict[str, Any] = {}
        for column in columns:
            value = row[column.name]
            if value is None:
                continue
            new = replacer.json(value) if _is_json(column.type) else replacer.text(str(value))
            if new != value:
                changed[column.name] = new
        if not changed:
            continue
        where = [k == row[k.name] for k in keys]
        conn.execute(update(table).where(*where).values(**changed))
        result.rows += 1
        pm_id = row["id"] if table.name == "postmortem" else row.get("postmortem_id")
        if pm_id is not None:
            result.postmortems.add(int(pm_id))
