"""audit_checkpoint becomes append-only on PostgreSQL, like audit_event

Revision ID: 0007_checkpoint_guard
Revises: 0006_merge
Create Date: 2026-11-29
"""
from alembic import op

from engine.checkpoint_guard import install_checkpoint_guards, remove_checkpoint_guards

revision = "0007_checkpoint_guard"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_checkpoint_guards(op.get_bind())


def downgrade() -> None:
    remove_checkpoint_guards(op.get_bind())
