"""login throttle per (account, address); API tokens expire and show a hint

Revision ID: 0007_login_throttle_tokens
Revises: 0006_merge
Create Date: 2026-11-29
"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = '0007_login_throttle_tokens'
down_revision = '0006_merge'
branch_labels = None
depends_on = None

EXISTING_TOKENS_LIVE = timedelta(days=90)


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('scope', 'username', 'remote_addr', name='uq_login_throttle_key')
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_updated_at'), ['updated_at'], unique=False)
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hint', sa.String(length=16), nullable=False, server_default=''))
    expires = datetime.now(timezone.utc).replace(tzinfo=None) + EXISTING_TOKENS_LIVE
    op.get_bind().execute(sa.text("UPDATE api_token SET expires_at = :expires"), {"expires": expires})
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('hint', existing_type=sa.String(length=16), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('hint')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_updated_at'))
    op.drop_table('login_throttle')
