"""merge the review, library, studio and audit branches

Revision ID: 0006_merge
Revises: 0002_review, 0003_library, 0004_studio, 0005_audit
Create Date: 2026-11-27
"""

revision = "0006_merge"
down_revision = ("0002_review", "0003_library", "0004_studio", "0005_audit")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
