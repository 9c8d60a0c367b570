"""document inputs: milestones, alert, references, communication, review meeting, financial
questions, ARB checklist, supporting data, review cadence, stored names; 5 Whys questions
that were machine-made sentences ("Why the pool was exhausted?") become quotations.

Revision ID: 0003_document_inputs
Revises: 0001
Create Date: 2026-11-30 11:43:51.895849
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision = '0003_document_inputs'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on every backend: a batch (copy-and-move) rebuild of `postmortem` on
    # SQLite would drop a table other tables point at.
    op.create_table('person',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'user_id')
    )
    op.create_table('slack_channel',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'channel_id')
    )
    op.create_table('compliance_tick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('postmortem_id', sa.Integer(), nullable=False),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ticked_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ticked_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['postmortem_id'], ['postmortem.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('postmortem_id', 'item', name='uq_compliance_item')
    )
    op.create_index('ix_compliance_tick_postmortem_id', 'compliance_tick', ['postmortem_id'], unique=False)

    op.create_table('reference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('postmortem_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['postmortem_id'], ['postmortem.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_reference_postmortem_id', 'reference', ['postmortem_id'], unique=False)

    op.add_column('incident', sa.Column('identified_at', storage.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column('incident', sa.Column('alert_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    op.add_column('incident', sa.Column('alert_source', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    op.add_column('incident', sa.Column('alert_url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))

    op.add_column('postmortem', sa.Column('geography', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('reputation_impact', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('contractual_impact', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('infrastructure_impact', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('dependency_impact', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('internal_impact', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('validation', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('status_page', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('customer_notice', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('stakeholders', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('status_updates', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('public_statements', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('distribution', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('meeting_at', storage.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column('postmortem', sa.Column('meeting_minutes', sa.Integer(), nullable=True))
    op.add_column('postmortem', sa.Column('finance_modules', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.add_column('postmortem', sa.Column('finance_corruption', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('finance_precision', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('log_excerpts', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('config_changes', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('review_cadence', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('next_review', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('related_pattern', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('glossary', sa.Text(), nullable=True))
    op.add_column('postmortem', sa.Column('archive_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
    op.add_column('postmortem', sa.Column('archive_url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))

    op.add_column('timeline_entry', sa.Column('milestone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))

    # ### end Alembic commands ###
    _requote_whys()


def _legacy_question(title: str, previous: str | None) -> str:
    """What flows.whys.next_question produced before 0003 (frozen here on purpose)."""
    if previous is None:
        return f"Why did this happen: {title.rstrip('.?!')}?"
    last = previous.strip().rstrip(".?!")
    return f"Why {last[:1].lower()}{last[1:]}?"


def _quoted_question(subject: str) -> str:
    """flows.whys.next_question as of 0003: the subject quoted word for word."""
    quoted = " ".join(subject.split()).rstrip(".!?;:, ")
    return f"Why did this happen: \u201c{quoted}\u201d?" if quoted else "Why did this happen?"


def _requote_whys() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT w.id, w.postmortem_id, w.question, w.answer, i.title FROM why w "
        "JOIN postmortem p ON p.id = w.postmortem_id JOIN incident i ON i.id = p.incident_id "
        "ORDER BY w.postmortem_id, w.position"
    )).fetchall()
    previous: dict[int, str] = {}
    for why_id, pm_id, question, answer, title in rows:
        before = previous.get(pm_id)
        if question == _legacy_question(title, before):
            new = _quoted_question(title if before is None else before)
            bind.execute(sa.text("UPDATE why SET question = :q WHERE id = :id"),
                         {"q": new, "id": why_id})
        previous[pm_id] = answer


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('timeline_entry', schema=None) as batch_op:
        batch_op.drop_column('milestone')

    with op.batch_alter_table('postmortem', schema=None) as batch_op:
        batch_op.drop_column('archive_url')
        batch_op.drop_column('archive_path')
        batch_op.drop_column('glossary')
        batch_op.drop_column('related_pattern')
        batch_op.drop_column('next_review')
        batch_op.drop_column('review_cadence')
        batch_op.drop_column('config_changes')
        batch_op.drop_column('log_excerpts')
        batch_op.drop_column('finance_precision')
        batch_op.drop_column('finance_corruption')
        batch_op.drop_column('finance_modules')
        batch_op.drop_column('meeting_minutes')
        batch_op.drop_column('meeting_at')
        batch_op.drop_column('distribution')
        batch_op.drop_column('public_statements')
        batch_op.drop_column('status_updates')
        batch_op.drop_column('stakeholders')
        batch_op.drop_column('customer_notice')
        batch_op.drop_column('status_page')
        batch_op.drop_column('validation')
        batch_op.drop_column('internal_impact')
        batch_op.drop_column('dependency_impact')
        batch_op.drop_column('infrastructure_impact')
        batch_op.drop_column('contractual_impact')
        batch_op.drop_column('reputation_impact')
        batch_op.drop_column('geography')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('alert_url')
        batch_op.drop_column('alert_source')
        batch_op.drop_column('alert_name')
        batch_op.drop_column('identified_at')

    with op.batch_alter_table('reference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_postmortem_id'))

    op.drop_table('reference')
    with op.batch_alter_table('compliance_tick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_tick_postmortem_id'))

    op.drop_table('compliance_tick')
    op.drop_table('slack_channel')
    op.drop_table('person')
    # ### end Alembic commands ###
