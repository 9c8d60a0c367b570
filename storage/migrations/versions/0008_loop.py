"""loop: recurrences reported with "It happened again"

Revision ID: 0008_loop
Revises: 0007_hot_path_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0008_loop"
down_revision = "0007_hot_path_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recurrence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("postmortem_id", sa.Integer(), sa.ForeignKey("postmortem.id"), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("reported_by", sa.String(length=32), nullable=False),
        sa.Column("reported_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
    )
    op.create_index("ix_recurrence_postmortem_id", "recurrence", ["postmortem_id"])
    op.create_index("ix_recurrence_incident_id", "recurrence", ["incident_id"])
    op.create_index("ix_recurrence_reported", "recurrence", ["team_id", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_recurrence_reported", table_name="recurrence")
    op.drop_index("ix_recurrence_incident_id", table_name="recurrence")
    op.drop_index("ix_recurrence_postmortem_id", table_name="recurrence")
    op.drop_table("recurrence")
