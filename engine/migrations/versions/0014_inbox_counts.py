"""open_task_tally: exact 待办 totals kept by triggers on human_task; a supervisor's inbox by society

Revision ID: 0014_inbox_counts
Revises: 0013_audit_chains
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

from engine.runtime.open_counts import backfill, install_triggers

revision = '0014_inbox_counts'
down_revision = '0013_audit_chains'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open_task_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_org_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('bpmn_id', sa.String(length=100), nullable=False),
    sa.Column('submitter_id', sa.Integer(), nullable=True),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_task_tally'))
    )
    op.create_index('ix_open_task_tally_pool', 'open_task_tally', ['scope_org_id', 'role', 'submitter_id'], unique=False)
    op.create_index('ix_human_task_inbox_society', 'human_task',
                    ['scope_org_id', 'role', 'status', 'org_id', 'created_at'], unique=False)
    install_triggers(op.get_bind())
    backfill(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    on = {"postgresql": " ON human_task"}.get(bind.dialect.name, "")
    for name in ("human_task_tally_insert", "human_task_tally_delete", "human_task_tally_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
    op.execute("DROP TRIGGER IF EXISTS case_tally_version" + (' ON "case"' if on else ""))
    if on:
        op.execute("DROP FUNCTION IF EXISTS baguan_tally_task()")
        op.execute("DROP FUNCTION IF EXISTS baguan_tally_case()")
    op.drop_index('ix_human_task_inbox_society', table_name='human_task')
    op.drop_index('ix_open_task_tally_pool', table_name='open_task_tally')
    op.drop_table('open_task_tally')
