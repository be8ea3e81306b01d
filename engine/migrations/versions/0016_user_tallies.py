"""user_tally: exact 已办 and 我发起的 totals kept by triggers on human_task and case

Revision ID: 0016_user_tallies
Revises: 0015_notification_case_index
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from engine.runtime.user_counts import CASE_TRIGGERS, PG_FUNCTIONS, TASK_TRIGGERS, backfill, install_triggers

revision = '0016_user_tallies'
down_revision = '0015_notification_case_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_tally'))
    )
    op.create_index('ix_user_tally_user', 'user_tally', ['user_id', 'kind'], unique=False)
    backfill(op.get_bind())
    install_triggers(op.get_bind())
    _grant_to_task_writers()


def _grant_to_task_writers() -> None:
    """The triggers write user_tally as whoever changes a task: on PostgreSQL, every role that may insert tasks
    (a hardened app role) gets the same use of the new table, so the upgrade does not refuse every completion."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    writers = bind.execute(sa.text(
        "SELECT DISTINCT grantee FROM information_schema.role_table_grants WHERE table_schema = current_schema() "
        "AND table_name = 'human_task' AND privilege_type = 'INSERT' AND grantee <> current_user")).scalars()
    for role in writers:
        quoted = '"' + role.replace('"', '""') + '"'
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON user_tally TO {quoted}")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE user_tally_id_seq TO {quoted}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in TASK_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON human_task" if postgres else ""))
    for name in CASE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (' ON "case"' if postgres else ""))
    if postgres:
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_index('ix_user_tally_user', table_name='user_tally')
    op.drop_table('user_tally')
