"""submission inbox: forms acked before they are saved

Revision ID: 0010_submission_inbox
Revises: 0009_workspaces
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0010_submission_inbox"
down_revision = "0009_workspaces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("callback_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("submission") as batch:
        batch.create_index("ix_submission_key", ["key"], unique=True)
        batch.create_index("ix_submission_received", ["attempts", "received_at"])


def downgrade() -> None:
    op.drop_table("submission")
