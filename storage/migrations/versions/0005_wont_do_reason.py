"""wont_do_reason: an action item that will not be done says why

Revision ID: 0005_wont_do_reason
Revises: 0004_outbox
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_wont_do_reason"
down_revision = "0004_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of `action_item` on SQLite would drop a table the
    # reminder rows point at.
    op.add_column("action_item", sa.Column("wont_do_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_item") as batch:
        batch.drop_column("wont_do_reason")
