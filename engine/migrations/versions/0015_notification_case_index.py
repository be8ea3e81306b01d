"""notification: an index by case, so settling a case's task notifications reads only that case's rows

Revision ID: 0015_notification_case_index
Revises: 0014_inbox_counts
Create Date: 2026-11-30
"""
from alembic import op

revision = '0015_notification_case_index'
down_revision = '0014_inbox_counts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_notification_case_unread', 'notification', ['case_id', 'read_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notification_case_unread', table_name='notification')
