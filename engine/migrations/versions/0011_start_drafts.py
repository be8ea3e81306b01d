"""start_draft: 暂存 on the 发起 form, one saved draft per user and process

Revision ID: 0011_start_drafts
Revises: 0010_holidays
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_start_drafts'
down_revision = '0010_holidays'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('start_draft',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_start_draft_org_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_start_draft_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'process_key', name=op.f('pk_start_draft'))
    )


def downgrade() -> None:
    op.drop_table('start_draft')
