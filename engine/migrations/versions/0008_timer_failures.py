"""timer failures (attempts, last error, next attempt) and worker heartbeats

Revision ID: 0008_timer_failures
Revises: 0007_login_throttle_tokens
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_timer_failures'
down_revision = '0007_login_throttle_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('timer') as batch:
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
    op.create_table('worker_heartbeat',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeat'))
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeat')
    with op.batch_alter_table('timer') as batch:
        batch.drop_column('next_attempt_at')
        batch.drop_column('last_error')
        batch.drop_column('attempts')
