"""Readiness: the database answers and its schema is at the newest migration.

`/healthz` (liveness) only pings the database; `/readyz` also compares the revision recorded
in `alembic_version` with the head of `storage/migrations`, so a load balancer sends no traffic
to a replica whose code is newer than the schema (a rolling deploy before `migrate` has run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from storage.db import migration_heads

# Alembic's default version table; storage/migrations/env.py does not rename it.
VERSION_TABLE = "alembic_version"


def schema_heads() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once)."""
    return migration_heads()


@dataclass(frozen=True)
class Readiness:
    database: bool
    current: frozenset[str]
    heads: frozenset[str]

    @property
    def ready(self) -> bool:
        return self.database and self.current == self.heads

    def as_json(self) -> dict[str, Any]:
        if not self.database:
            migrations = "unknown"
        else:
            migrations = "head" if self.current == self.heads else "not at head"
        return {
            "database": "ok" if self.database else "down",
            "migrations": migrations,
            "current": sorted(self.current),
            "head": sorted(self.heads),
        }


def check_readiness(engine: Engine) -> Readiness:
    """Ask the database which revision it is at (one small query; the table may be missing)."""
    heads = schema_heads()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            reachable = True
            try:
                # Plain SQL rather than Alembic's MigrationContext: a probe every few seconds
                # should not log Alembic's "Context impl" line at INFO each time.
                rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
                current = frozenset(str(r[0]) for r in rows)
            except Exception:
                current = frozenset()  # never migrated
    except Exception:
        return Readiness(database=False, current=frozenset(), heads=heads)
    return Readiness(database=reachable, current=current, heads=heads)
