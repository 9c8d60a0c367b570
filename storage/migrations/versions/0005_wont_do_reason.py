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


# Plain ADD / DROP COLUMN on every backend (SQLite has had DROP COLUMN since 3.35): a batch
# rebuild of `action_item` on SQLite would drop a table the reminder rows point at.


def upgrade() -> None:
    op.add_column("action_item", sa.Column("wont_do_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("action_item", "wont_do_reason")
