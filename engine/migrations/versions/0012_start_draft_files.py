"""start_draft_file: attachments chosen on the 发起 form before the case is filed

Revision ID: 0012_start_draft_files
Revises: 0011_start_drafts
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_start_draft_files'
down_revision = '0011_start_drafts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('start_draft_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_start_draft_file_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_start_draft_file'))
    )
    op.create_index('ix_start_draft_file_owner', 'start_draft_file', ['user_id', 'process_key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_start_draft_file_owner', table_name='start_draft_file')
    op.drop_table('start_draft_file')
