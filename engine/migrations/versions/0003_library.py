"""process library: decision tables, case decisions, timers

Revision ID: 0003_library
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_library'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decision_table',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('dmn_xml', sa.Text(), nullable=False),
    sa.Column('deployed_by', sa.Integer(), nullable=True),
    sa.Column('deployed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deployed_by'], ['app_user.id'], name=op.f('fk_decision_table_deployed_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_table')),
    sa.UniqueConstraint('decision_id', 'version', name='uq_decision_table_id_version')
    )
    op.create_index(op.f('ix_decision_table_decision_id'), 'decision_table', ['decision_id'], unique=False)
    op.create_table('case_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('spiff_task_id', sa.String(length=36), nullable=False),
    sa.Column('step', sa.String(length=100), nullable=False),
    sa.Column('decision_id', sa.String(length=100), nullable=False),
    sa.Column('table_version', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_decision_case_id_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_decision')),
    sa.UniqueConstraint('case_id', 'spiff_task_id', name='uq_case_decision_task')
    )
    op.create_index(op.f('ix_case_decision_case_id'), 'case_decision', ['case_id'], unique=False)
    op.create_table('timer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('fired_at', sa.DateTime(), nullable=True),
    sa.Column('fired_by', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_timer_case_id_case')),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_timer_task_id_human_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer'))
    )
    op.create_index(op.f('ix_timer_case_id'), 'timer', ['case_id'], unique=False)
    op.create_index(op.f('ix_timer_task_id'), 'timer', ['task_id'], unique=False)
    op.create_index('ix_timer_due', 'timer', ['status', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_timer_due', table_name='timer')
    op.drop_index(op.f('ix_timer_task_id'), table_name='timer')
    op.drop_index(op.f('ix_timer_case_id'), table_name='timer')
    op.drop_table('timer')
    op.drop_index(op.f('ix_case_decision_case_id'), table_name='case_decision')
    op.drop_table('case_decision')
    op.drop_index(op.f('ix_decision_table_decision_id'), table_name='decision_table')
    op.drop_table('decision_table')
