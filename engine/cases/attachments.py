"""Attachments on a case or on an opinion, and 暂存 (a saved draft of a task form).

Files are checked by extension, size and leading bytes, stored under a random name in a directory outside
the web root that the caller passes in, and read back only after the case's visibility check.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases.draft_limits import check_draft
from engine.cases.models import Attachment, TaskDraft
from engine.cases.queries import get_case, get_task
from engine.cases.staged_files import stage_file
from engine.db import utcnow
from engine.errors import InvalidData, NotFound, PermissionDenied
from engine.identity.access import may_act
from engine.identity.models import User
from engine.runtime.models import Case, HumanTask

MAX_BYTES = 3 * 1024 * 1024
MAX_PER_CASE = 50
ZIP, OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)), "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (ZIP,)),
    "doc": ("application/msword", (OLE,)), "xls": ("application/vnd.ms-excel", (OLE,)),
    "ofd": ("application/ofd", (ZIP,)), "zip": ("application/zip", (ZIP,)),
    "txt": ("text/plain; charset=utf-8", ()),
}
ALLOWED_LABEL = "、".join(TYPES)


def clean_filename(name: str | None) -> str:
    """The last path part, without control characters, at most 200 characters (extension kept)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip(" .")
    if len(base) > 200:
        stem, _, ext = base.rpartition(".")
        base = stem[: 190] + "." + ext[:9] if stem else base[:200]
    return base


def check_file(filename: str, data: bytes) -> str:
    """The stored content type of an acceptable file; InvalidData naming the rule it breaks otherwise."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not filename or ext not in TYPES:
        raise InvalidData("附件类型不允许", {"file": f"只接受以下类型：{ALLOWED_LABEL}"})
    if not data or len(data) > MAX_BYTES:
        raise InvalidData("附件大小不符合要求", {"file": f"附件不能为空，且不能超过 {MAX_BYTES // (1024 * 1024)} MB"})
    content_type, magics = TYPES[ext]
    if magics and not any(data.startswith(m) for m in magics):
        raise InvalidData("附件内容与类型不符", {"file": f"文件内容不是有效的 .{ext} 文件"})
    if ext == "txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidData("附件内容与类型不符", {"file": "文本文件须为 UTF-8 编码"}) from None
    return content_type


def add_attachment(session: Session, user: User, case_id: int, filename: str | None, data: bytes, upload_dir: Path,
                   task_id: int | None = None) -> Attachment:
    """Attach a file to a case (its submitter or a current handler) or to an open task's opinion (its handler)."""
    case = get_case(session, user, case_id)
    task = _task_of(session, user, case, task_id)
    if task is None and not _may_attach_to_case(session, user, case):
        raise PermissionDenied("只有发起人或当前处理人可以上传附件")
    name = clean_filename(filename)
    content_type = check_file(name, data)
    if len(session.scalars(select(Attachment.id).where(Attachment.case_id == case.id)).all()) >= MAX_PER_CASE:
        raise InvalidData("附件太多", {"file": f"每个事项最多 {MAX_PER_CASE} 个附件"})
    key = secrets.token_hex(16)
    stage_file(session, upload_dir / str(case.id), key, data)
    row = Attachment(case_id=case.id, task_id=task.id if task else None, filename=name, content_type=content_type,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key, uploaded_by=user.id,
                     uploaded_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, "attachment.added", actor=user, org_id=case.org_id, case_id=case.id,
                 attachment_id=row.id, filename=name, size=row.size, sha256=row.sha256,
                 task_id=row.task_id, step_name=task.name if task else "")
    return row


def _task_of(session: Session, user: User, case: Case, task_id: int | None) -> HumanTask | None:
    if task_id is None:
        return None
    task = get_task(session, user, task_id)
    if task.case_id != case.id or task.status != "open" or not may_act(session, user, task):
        raise PermissionDenied("只能在自己正在办理的步骤上传意见附件")
    return task


def _may_attach_to_case(session: Session, user: User, case: Case) -> bool:
    if case.created_by == user.id:
        return True
    rows = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "open"))
    return any(may_act(session, user, row) for row in rows)


def case_attachments(session: Session, case: Case) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)))


def read_attachment(session: Session, user: User, attachment_id: int, upload_dir: Path) -> tuple[Attachment, bytes]:
    """The attachment and its bytes, for someone who may see its case (anyone else: not found)."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在或您无权访问")
    get_case(session, user, row.case_id)
    path = upload_dir / str(row.case_id) / row.storage_key
    try:
        data = path.read_bytes()
    except OSError:
        raise NotFound("附件文件已丢失，请联系管理员") from None
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise NotFound("附件文件与登记的校验值不符，已拒绝下载，请联系管理员")
    return row, data


def save_draft(session: Session, user: User, task_id: int, data: Any, comment: str | None) -> TaskDraft:
    """暂存: keep the form data and opinion typed so far; only fields the step's form declares are kept."""
    task = get_task(session, user, task_id)
    if task.status != "open" or not may_act(session, user, task):
        raise PermissionDenied("只能暂存自己正在办理的任务")
    form = task.case.definition.forms.get(task.form_key) if task.form_key else None
    comment = check_draft(form, data, comment)
    draft = session.get(TaskDraft, (task.id, user.id)) or TaskDraft(task_id=task.id, user_id=user.id)
    draft.data, draft.comment, draft.saved_at = dict(data), comment, utcnow()
    session.add(draft)
    session.flush()
    audit.record(session, "task.draft_saved", actor=user, org_id=task.org_id, case_id=task.case_id, task_id=task.id,
                 step=task.bpmn_id, step_name=task.name)
    return draft


def draft_of(session: Session, user: User, task: HumanTask) -> TaskDraft | None:
    return session.get(TaskDraft, (task.id, user.id)) if task.status == "open" else None
