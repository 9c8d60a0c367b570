"""workspaces: the workspace an incident was reported to

Revision ID: 0009_workspaces
Revises: 0008_loop
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_workspaces"
down_revision = "0008_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incident", sa.Column("team_id", sa.String(length=32), nullable=True))
    # Incidents opened with their post-mortem belong to its workspace.
    op.execute(
        "UPDATE incident SET team_id = (SELECT p.team_id FROM postmortem p "
        "WHERE p.incident_id = incident.id)"
    )


def downgrade() -> None:
    op.drop_column("incident", "team_id")
