"""studio: deploy comments, process catalogue

Revision ID: 0004_studio
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_studio'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
    op.create_table('process_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('starter_org_ids', sa.JSON(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id'], name=op.f('fk_process_setting_updated_by_app_user')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_process_setting'))
    )


def downgrade() -> None:
    op.drop_table('process_setting')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('comment')
