"""audit_checkpoint becomes append-only on PostgreSQL, like audit_event

Revision ID: 0009_checkpoint_guard
Revises: 0008_timer_failures
Create Date: 2026-11-29
"""
from alembic import op

from engine.journal import install_checkpoint_guards, remove_checkpoint_guards

revision = "0009_checkpoint_guard"
down_revision = "0008_timer_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_checkpoint_guards(op.get_bind())


def downgrade() -> None:
    remove_checkpoint_guards(op.get_bind())
