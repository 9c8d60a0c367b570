"""Rows written with plain SQL, as any schema since 0001 holds them: what a migration test
puts in the database before it upgrades."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, text

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC).isoformat()


def insert_postmortem(conn: Connection, *, status: str = "draft") -> None:
    """Incident 1 and its post-mortem 1."""
    conn.execute(text(
        "INSERT INTO incident (id, reference, title, severity, services, source, "
        "created_at) VALUES (1, 'INC-1', 'Checkout API returned 500s', 1, '[]', "
        "'slack', :now)"), {"now": NOW})
    conn.execute(text(
        "INSERT INTO postmortem (id, incident_id, status, required, owner_id, "
        "reviewers, attendees, created_at, updated_at, version) VALUES (1, 1, :status, "
        "true, 'U0ALICE', '[]', '[]', :now, :now, 0)"), {"now": NOW, "status": status})
