"""hot path indexes: the open post-mortems of a workspace, newest first

Revision ID: 0007_hot_path_indexes
Revises: 0006_tracker
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_hot_path_indexes"
down_revision = "0006_tracker"
branch_labels = None
depends_on = None

OPEN = sa.text("status != 'closed'")


def upgrade() -> None:
    op.create_index("ix_postmortem_open", "postmortem", ["team_id", "created_at"],
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_postmortem_open", table_name="postmortem")
