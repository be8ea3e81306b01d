"""holiday table maintained by admins (State Council notices beyond chinese-calendar's data)

Revision ID: 0010_holidays
Revises: 0009_checkpoint_guard
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_holidays'
down_revision = '0009_checkpoint_guard'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('holiday_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_holiday_day'))
    )


def downgrade() -> None:
    op.drop_table('holiday_day')
