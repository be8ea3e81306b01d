"""user_tally: exact 已办 and 我发起的 totals kept by triggers on human_task and case

Revision ID: 0016_user_tallies
Revises: 0015_notification_case_index
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from engine.runtime.user_counts import CASE_TRIGGERS, PG_FUNCTIONS, TASK_TRIGGERS, backfill, install_triggers

revision = '0016_user_tallies'
down_revision = '0015_notification_case_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_tally'))
    )
    op.create_index('ix_user_tally_user', 'user_tally', ['user_id', 'kind'], unique=False)
    backfill(op.get_bind())
    install_triggers(op.get_bind())


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in TASK_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON human_task" if postgres else ""))
    for name in CASE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (' ON "case"' if postgres else ""))
    if postgres:
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_index('ix_user_tally_user', table_name='user_tally')
    op.drop_table('user_tally')
