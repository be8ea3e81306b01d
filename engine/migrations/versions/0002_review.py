"""reviewer workspace: copies, delegations, notifications, phrases, proxies, attachments, drafts, inbox indexes

Revision ID: 0002_review
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_review'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_setting',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_setting_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_setting'))
    )
    op.create_table('proxy_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('principal_id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['principal_id'], ['app_user.id'], name=op.f('fk_proxy_rule_principal_id_app_user')),
    sa.ForeignKeyConstraint(['proxy_id'], ['app_user.id'], name=op.f('fk_proxy_rule_proxy_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_rule'))
    )
    with op.batch_alter_table('proxy_rule', schema=None) as batch_op:
        batch_op.create_index('ix_proxy_rule_principal', ['principal_id'], unique=False)
        batch_op.create_index('ix_proxy_rule_proxy', ['proxy_id', 'starts_on'], unique=False)
    op.create_table('saved_phrase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_saved_phrase_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_phrase'))
    )
    with op.batch_alter_table('saved_phrase', schema=None) as batch_op:
        batch_op.create_index('ix_saved_phrase_user', ['user_id'], unique=False)
    op.create_table('case_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('copied_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_copy_case_id_case')),
    sa.ForeignKeyConstraint(['copied_by'], ['app_user.id'], name=op.f('fk_case_copy_copied_by_app_user')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_case_copy_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_copy')),
    sa.UniqueConstraint('case_id', 'user_id', name='uq_case_copy_case_user')
    )
    with op.batch_alter_table('case_copy', schema=None) as batch_op:
        batch_op.create_index('ix_case_copy_user_at', ['user_id', 'created_at'], unique=False)
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('email_status', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_notification_case_id_case')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_at', ['user_id', 'created_at'], unique=False)
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_attachment_case_id_case')),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_attachment_task_id_human_task')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['app_user.id'], name=op.f('fk_attachment_uploaded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_case', ['case_id'], unique=False)
    op.create_table('task_delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('opinion', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['delegate_id'], ['app_user.id'], name=op.f('fk_task_delegation_delegate_id_app_user')),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_task_delegation_owner_id_app_user')),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_task_delegation_task_id_human_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_delegation'))
    )
    with op.batch_alter_table('task_delegation', schema=None) as batch_op:
        batch_op.create_index('ix_task_delegation_task', ['task_id', 'resolved_at'], unique=False)
    op.create_table('task_draft',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_task_draft_task_id_human_task')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_task_draft_user_id_app_user')),
    sa.PrimaryKeyConstraint('task_id', 'user_id', name=op.f('pk_task_draft'))
    )
    op.create_table('task_signer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=8), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('acted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['added_by'], ['app_user.id'], name=op.f('fk_task_signer_added_by_app_user')),
    sa.ForeignKeyConstraint(['signer_id'], ['app_user.id'], name=op.f('fk_task_signer_signer_id_app_user')),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_task_signer_task_id_human_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_signer'))
    )
    with op.batch_alter_table('task_signer', schema=None) as batch_op:
        batch_op.create_index('ix_task_signer_task', ['task_id', 'status'], unique=False)
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_assignee_open', ['assignee_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_human_task_inbox_due', ['scope_org_id', 'role', 'status', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_inbox_due')
        batch_op.drop_index('ix_human_task_assignee_open')
    op.drop_table('task_signer')
    op.drop_table('task_draft')
    op.drop_table('task_delegation')
    op.drop_table('attachment')
    op.drop_table('notification')
    op.drop_table('case_copy')
    op.drop_table('saved_phrase')
    op.drop_table('proxy_rule')
    op.drop_table('notification_setting')
