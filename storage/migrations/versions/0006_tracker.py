"""tracker: App Home tabs, stored monthly reports, and the indexes the tracker reads by

Revision ID: 0006_tracker
Revises: 0005_wont_do_reason
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006_tracker"
down_revision = "0005_wont_do_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_tab",
        sa.Column("team_id", sa.String(length=32), primary_key=True),
        sa.Column("user_id", sa.String(length=32), primary_key=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "program_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("chart", sa.LargeBinary(), nullable=False),
        sa.Column("table", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "month", name="uq_program_report_month"),
    )
    op.create_index("ix_postmortem_owner_status", "postmortem", ["owner_id", "status"])
    op.create_index(
        "ix_postmortem_facilitator_status", "postmortem", ["facilitator_id", "status"]
    )
    op.create_index("ix_postmortem_team_created", "postmortem", ["team_id", "created_at"])
    op.create_index(
        "ix_timeline_pm_milestone", "timeline_entry", ["postmortem_id", "milestone", "occurred_at"]
    )
    op.create_index(
        "ix_action_item_pm_status_due", "action_item", ["postmortem_id", "status", "due_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_action_item_pm_status_due", table_name="action_item")
    op.drop_index("ix_timeline_pm_milestone", table_name="timeline_entry")
    op.drop_index("ix_postmortem_team_created", table_name="postmortem")
    op.drop_index("ix_postmortem_facilitator_status", table_name="postmortem")
    op.drop_index("ix_postmortem_owner_status", table_name="postmortem")
    op.drop_table("program_report")
    op.drop_table("home_tab")
