"""outbox: reminder rows also carry announcements, sent exactly once

Revision ID: 0004_outbox
Revises: 0003_document_inputs
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_outbox"
down_revision = "0003_document_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.add_column(sa.Column("team_id", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("unsure", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("slack_channel", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("slack_ts", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.drop_column("slack_ts")
        batch.drop_column("slack_channel")
        batch.drop_column("unsure")
        batch.drop_column("team_id")
