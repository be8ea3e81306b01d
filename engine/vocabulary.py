"""The engine's vocabulary: statuses, decisions, task kinds and audit actions, each a ``StrEnum`` whose
Chinese label lives here and nowhere else. Stored values are the enum values (plain strings in the database).
"""
from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A vocabulary whose members carry their Chinese label (``member.label``)."""

    @property
    def label(self) -> str:
        return LABELS[type(self)][self]

    @classmethod
    def label_of(cls, value: str, default: str | None = None) -> str:
        """The label of a stored value; unknown values get ``default`` (or the value itself)."""
        try:
            return LABELS[cls][cls(value)]
        except ValueError:
            return value if default is None else default


class CaseStatus(Labelled):
    RUNNING = "running"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class TaskStatus(Labelled):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Decision(Labelled):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    SUBMIT = "submit"


class TaskKind(Labelled):
    DRAFT = "draft"
    REVIEW = "review"
    MEETING = "meeting"
    REPORT = "report"


class SignerStatus(Labelled):
    ACTIVE = "active"
    PENDING = "pending"
    DONE = "done"
    CLOSED = "closed"
    REMOVED = "removed"


class TokenStatus(Labelled):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class TimerStatus(Labelled):
    PENDING = "pending"
    FAILED = "failed"
    PARKED = "parked"
    FIRED = "fired"
    CANCELLED = "cancelled"


class AuditAction(Labelled):
    ACCESS_DENIED = "access.denied"
    ATTACHMENT_ADDED = "attachment.added"
    AUDIT_CHECKPOINT = "audit.checkpoint"
    AUDIT_EXPORTED = "audit.exported"
    CASE_COMPLETED = "case.completed"
    CASE_COPIED = "case.copied"
    CASE_COPY_READ = "case.copy_read"
    CASE_DOSSIER_EXPORTED = "case.dossier_exported"
    CASE_MIGRATED = "case.migrated"
    CASE_RECALLED = "case.recalled"
    CASE_STARTED = "case.started"
    CASE_START_DRAFT_SAVED = "case.start_draft_saved"
    CASE_START_FILE_ADDED = "case.start_file_added"
    CASE_START_FILE_REMOVED = "case.start_file_removed"
    CASE_URGED = "case.urged"
    CASE_WITHDRAWN = "case.withdrawn"
    HOLIDAYS_IMPORTED = "holidays.imported"
    LOGIN_FAILED = "login.failed"
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_THROTTLED = "login.throttled"
    NOTIFICATION_EMAIL_SET = "notification.email_set"
    ORG_CREATED = "org.created"
    PHRASE_ADDED = "phrase.added"
    PHRASE_DELETED = "phrase.deleted"
    PROCESS_CATALOGUE = "process.catalogue"
    PROCESS_DEPLOYED = "process.deployed"
    PROXY_CLEARED = "proxy.cleared"
    PROXY_SET = "proxy.set"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    RULE_DECIDED = "rule.decided"
    RULE_DEPLOYED = "rule.deployed"
    TASK_BATCH_COMPLETED = "task.batch_completed"
    TASK_COMPLETED = "task.completed"
    TASK_DELEGATE_RESOLVED = "task.delegate_resolved"
    TASK_DELEGATED = "task.delegated"
    TASK_DRAFT_SAVED = "task.draft_saved"
    TASK_ESCALATED = "task.escalated"
    TASK_REMINDED = "task.reminded"
    TASK_SIGNED = "task.signed"
    TASK_SIGNER_ADDED = "task.signer_added"
    TASK_SIGNER_OPINION = "task.signer_opinion"
    TASK_SIGNER_REMOVED = "task.signer_removed"
    TASK_TRANSFERRED = "task.transferred"
    TIMER_PARKED = "timer.parked"
    TIMER_RETRIED = "timer.retried"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    USER_ACTIVATED = "user.activated"
    USER_CREATED = "user.created"
    USER_DEACTIVATED = "user.deactivated"
    USERS_IMPORTED = "users.imported"


LABELS: dict[type[Labelled], dict[Labelled, str]] = {
    CaseStatus: {
        CaseStatus.RUNNING: "审批中", CaseStatus.COMPLETED: "已办结", CaseStatus.REJECTED: "已驳回",
        CaseStatus.WITHDRAWN: "已撤销",
    },
    TaskStatus: {
        TaskStatus.OPEN: "待处理", TaskStatus.COMPLETED: "已处理", TaskStatus.CANCELLED: "已取消",
    },
    Decision: {
        Decision.APPROVE: "同意", Decision.RETURN: "退回修改", Decision.REJECT: "不同意", Decision.SUBMIT: "提交",
    },
    TaskKind: {
        TaskKind.DRAFT: "起草", TaskKind.REVIEW: "审核", TaskKind.MEETING: "会议决定", TaskKind.REPORT: "报备",
    },
    SignerStatus: {
        SignerStatus.ACTIVE: "处理中", SignerStatus.PENDING: "待处理", SignerStatus.DONE: "已签署",
        SignerStatus.CLOSED: "已结束", SignerStatus.REMOVED: "已减签",
    },
    TimerStatus: {
        TimerStatus.PENDING: "待执行", TimerStatus.FAILED: "失败，等待重试", TimerStatus.PARKED: "已停放，需管理员处理",
        TimerStatus.FIRED: "已执行", TimerStatus.CANCELLED: "已取消",
    },
    TokenStatus: {
        TokenStatus.ACTIVE: "有效", TokenStatus.EXPIRED: "已过期", TokenStatus.REVOKED: "已撤销",
    },
    AuditAction: {
        AuditAction.ACCESS_DENIED: "访问被拒", AuditAction.ATTACHMENT_ADDED: "上传附件",
        AuditAction.AUDIT_CHECKPOINT: "创建检查点", AuditAction.AUDIT_EXPORTED: "导出审计记录",
        AuditAction.CASE_COMPLETED: "办结", AuditAction.CASE_COPIED: "抄送", AuditAction.CASE_COPY_READ: "已阅",
        AuditAction.CASE_DOSSIER_EXPORTED: "导出事项档案", AuditAction.CASE_MIGRATED: "迁移到新版本",
        AuditAction.CASE_RECALLED: "撤回", AuditAction.CASE_STARTED: "发起", AuditAction.CASE_URGED: "催办",
        AuditAction.CASE_WITHDRAWN: "撤销", AuditAction.HOLIDAYS_IMPORTED: "导入节假日", AuditAction.LOGIN_FAILED: "登录失败", AuditAction.LOGIN_SUCCEEDED: "登录",
        AuditAction.LOGIN_THROTTLED: "登录受限", AuditAction.NOTIFICATION_EMAIL_SET: "设置通知邮箱",
        AuditAction.ORG_CREATED: "新建组织", AuditAction.PHRASE_ADDED: "保存常用语", AuditAction.PHRASE_DELETED: "删除常用语",
        AuditAction.PROCESS_CATALOGUE: "调整流程目录", AuditAction.PROCESS_DEPLOYED: "部署流程",
        AuditAction.PROXY_CLEARED: "取消代理", AuditAction.PROXY_SET: "设置代理人", AuditAction.ROLE_GRANTED: "授予角色",
        AuditAction.ROLE_REVOKED: "撤销角色", AuditAction.RULE_DECIDED: "决策表判定", AuditAction.RULE_DEPLOYED: "部署决策表",
        AuditAction.TASK_BATCH_COMPLETED: "批量审批", AuditAction.TASK_COMPLETED: "处理",
        AuditAction.TASK_DELEGATE_RESOLVED: "委派回复", AuditAction.TASK_DELEGATED: "委派",
        AuditAction.TASK_DRAFT_SAVED: "暂存", AuditAction.CASE_START_DRAFT_SAVED: "发起暂存",
        AuditAction.CASE_START_FILE_ADDED: "发起暂存附件", AuditAction.CASE_START_FILE_REMOVED: "删除发起暂存附件",
        AuditAction.TASK_ESCALATED: "超期督办", AuditAction.TASK_REMINDED: "到期提醒",
        AuditAction.TASK_SIGNED: "签署同意", AuditAction.TASK_SIGNER_ADDED: "加签", AuditAction.TASK_SIGNER_OPINION: "加签意见", AuditAction.TASK_SIGNER_REMOVED: "减签",
        AuditAction.TASK_TRANSFERRED: "转办", AuditAction.TIMER_PARKED: "定时器停放",
        AuditAction.TIMER_RETRIED: "重试定时器", AuditAction.TOKEN_CREATED: "创建令牌", AuditAction.TOKEN_REVOKED: "撤销令牌",
        AuditAction.USER_ACTIVATED: "启用用户", AuditAction.USER_CREATED: "新建用户", AuditAction.USER_DEACTIVATED: "停用用户",
        AuditAction.USERS_IMPORTED: "批量导入用户",
    },
}

DECISIONS_BY_KIND: dict[TaskKind, tuple[Decision, ...]] = {
    TaskKind.DRAFT: (Decision.SUBMIT,), TaskKind.REVIEW: (Decision.APPROVE, Decision.RETURN, Decision.REJECT),
    TaskKind.MEETING: (Decision.APPROVE, Decision.RETURN, Decision.REJECT), TaskKind.REPORT: (Decision.SUBMIT,),
}

COMPUTED_FIELDS: dict[str, str] = {
    "meeting_result": "会议表决结果", "quorum": "法定人数比例", "majority": "通过所需比例",
    "quorum_reached": "是否达到法定人数", "passed": "是否表决通过", "voting": "有表决权人数",
    "required_for": "通过所需同意票数", "foreign_matter": "系统判定涉外", "foreign_reasons": "涉外理由",
    "has_foreign_items": "含涉外重点工作", "has_foreign_ngo": "涉及境外非政府组织",
    "foreign_ngo_parties": "涉及的境外非政府组织", "amount_total": "同一收款方累计金额（元）",
    "split_prior_count": "同一收款方此前申请件数", "split_prior_total": "同一收款方此前累计金额（元）",
}
"""Titles of the case variables the engine computes (meetings, 涉外, split payments), which no form declares."""

DETAIL_LABELS: dict[str, str] = {
    "return_to_name": "退回至", "path": "访问路径", "reason": "原因", "format": "格式", "count": "条数",
    "filters": "查询条件", "report": "报表", "checkpoint_id": "检查点", "event_id": "事件", "head_hash": "链头哈希",
    "heads": "各链链头",
    "number": "编号", "process": "流程", "title": "标题", "version": "版本", "method": "方法", "target": "访问对象",
    "handlers": "处理人", "recipients": "接收人", "recipient_ids": "接收人编号", "approved": "已同意的任务",
    "failed": "未能审批的任务", "to_id": "转交对象编号", "to_name": "转交给", "due_at": "办理期限",
    "from_version": "原版本", "to_version": "新版本", "attachment_id": "附件编号", "filename": "文件名",
    "size": "大小（字节）", "sha256": "SHA-256", "content_hash": "内容哈希", "error": "错误", "attempts": "尝试次数",
    "timer_id": "定时器编号", "told": "已通知", "position": "加签位置", "name": "名称", "text": "内容",
    "phrase_id": "常用语编号", "proxy": "代理人", "proxy_id": "代理设置编号", "starts_on": "开始日期",
    "ends_on": "结束日期", "email": "邮箱", "username": "用户名", "role": "角色", "kind": "类型", "lines": "行数",
    "created": "新建", "years": "年份", "days": "天数", "token_id": "令牌编号", "expires_at": "到期时间",
    "fingerprint": "指纹", "scope": "范围", "source": "来源", "starter_codes": "可发起的学会",
    "remote_addr": "来源地址", "retry_after": "重试等待（秒）", "failures": "失败次数", "code": "代码",
    "previous": "原值", "before": "修改前", "after": "修改后", "data": "数据", "inputs": "输入", "result": "结果",
    "table": "决策表", "table_version": "决策表版本", "step": "步骤", "step_name": "步骤", "task_id": "任务编号",
    "rolled_back_from": "回滚自", "refused_in_previous_block": "此前已拒绝", "case_id": "事项编号",
    "org_id": "组织编号", "decision": "处理结果", "comment": "意见",
}
"""Titles of the keys an audit event's detail may carry, for the audit timeline."""


def field_label(key: str, default: str | None = None) -> str:
    """The Chinese title of an engine-computed case variable or an audit detail key."""
    return COMPUTED_FIELDS.get(key) or DETAIL_LABELS.get(key) or (key if default is None else default)
