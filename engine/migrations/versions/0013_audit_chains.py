"""audit_event.chain and audit_chain_head: one hash chain per society, each with its own head row (issue 13)

The events written before this revision keep their links: they become the frozen ``legacy`` chain (the column is
added with that default, which PostgreSQL stores without rewriting a row, so the append-only triggers never fire),
and its head row is taken from the last of them. New events go to their society's chain. Checkpoints gain the
list of chain heads they sign (the older ones keep naming the single chain's last event).

Revision ID: 0013_audit_chains
Revises: 0012_start_draft_files
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_audit_chains'
down_revision = '0012_start_draft_files'
branch_labels = None
depends_on = None

LEGACY_HEAD = """INSERT INTO audit_chain_head (chain, length, head_hash)
SELECT 'legacy', count(*), (SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1) FROM audit_event
HAVING count(*) > 0"""


def upgrade() -> None:
    op.add_column('audit_event', sa.Column('chain', sa.String(length=32), nullable=False,
                                           server_default='legacy'))
    if op.get_bind().dialect.name == 'postgresql':
        # SQLite cannot drop a default without copying the table; the application always sets the chain.
        op.alter_column('audit_event', 'chain', server_default=None)
    op.create_index('ix_audit_event_chain_id', 'audit_event', ['chain', 'id'], unique=False)
    op.create_table('audit_chain_head',
    sa.Column('chain', sa.String(length=32), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_head'))
    )
    op.execute(LEGACY_HEAD)
    op.add_column('audit_checkpoint', sa.Column('heads', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('audit_checkpoint', 'heads')
    op.drop_table('audit_chain_head')
    op.drop_index('ix_audit_event_chain_id', table_name='audit_event')
    op.drop_column('audit_event', 'chain')
