"""Attachments on the 发起 form before the first submission: chosen while filling the form, kept with its 暂存,
and handed to the case once it is filed. The same type, size and content checks as a case's attachments apply;
the bytes wait under ``<upload_dir>/start/<user id>/`` (0600) and move into the case's folder after the commit."""
from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases.attachments import check_file, clean_filename
from engine.cases.models import Attachment, StartDraftFile
from engine.cases.staged_files import move_file, remove_file, stage_file
from engine.cases.start_drafts import startable_definition
from engine.db import utcnow
from engine.errors import InvalidData, NotFound
from engine.identity.models import User
from engine.runtime.models import Case
from engine.vocabulary import AuditAction

MAX_START_FILES = 20


def _folder(upload_dir: Path, user: User) -> Path:
    return upload_dir / "start" / str(user.id)


def start_files_of(session: Session, user: User, process_key: str) -> list[StartDraftFile]:
    return list(session.scalars(select(StartDraftFile).where(
        StartDraftFile.user_id == user.id, StartDraftFile.process_key == process_key).order_by(StartDraftFile.id)))


def add_start_file(session: Session, user: User, process_key: str, filename: str | None, data: bytes,
                   upload_dir: Path) -> StartDraftFile:
    """Keep a file for the case ``user`` is about to file; it is written (0600) only if the session commits."""
    startable_definition(session, user, process_key)
    name = clean_filename(filename)
    content_type = check_file(name, data)
    if len(start_files_of(session, user, process_key)) >= MAX_START_FILES:
        raise InvalidData("附件太多", {"file": f"发起时最多暂存 {MAX_START_FILES} 个附件，其余可在提交后上传"})
    key = secrets.token_hex(16)
    stage_file(session, _folder(upload_dir, user), key, data)
    row = StartDraftFile(user_id=user.id, process_key=process_key, filename=name, content_type=content_type,
                         size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
                         uploaded_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, AuditAction.CASE_START_FILE_ADDED, actor=user, process_key=process_key, filename=name,
                 size=row.size, sha256=row.sha256)
    return row


def remove_start_file(session: Session, user: User, process_key: str, file_id: int, upload_dir: Path) -> None:
    """Drop one of the user's kept files (anyone else's, or an unknown id: not found)."""
    row = session.get(StartDraftFile, file_id)
    if row is None or row.user_id != user.id or row.process_key != process_key:
        raise NotFound("暂存的附件不存在或已删除")
    session.delete(row)
    session.flush()
    remove_file(session, _folder(upload_dir, user) / row.storage_key)
    audit.record(session, AuditAction.CASE_START_FILE_REMOVED, actor=user, process_key=process_key,
                 filename=row.filename)


def attach_start_files(session: Session, user: User, case: Case, upload_dir: Path) -> list[Attachment]:
    """The files ``user`` kept for ``case``'s process become its attachments (moved after the commit)."""
    attached = []
    for kept in start_files_of(session, user, case.process_key):
        source = _folder(upload_dir, user) / kept.storage_key
        if not _intact(source, kept.sha256):
            raise InvalidData("暂存的附件已丢失", {"file": f"“{kept.filename}”的文件已丢失或被改动，请删除后重新上传"})
        move_file(session, source, upload_dir / str(case.id), kept.storage_key)
        row = Attachment(case_id=case.id, filename=kept.filename, content_type=kept.content_type, size=kept.size,
                         sha256=kept.sha256, storage_key=kept.storage_key, uploaded_by=user.id,
                         uploaded_at=kept.uploaded_at)
        session.add(row)
        session.delete(kept)
        session.flush()
        audit.record(session, AuditAction.ATTACHMENT_ADDED, actor=user, org_id=case.org_id, case_id=case.id,
                     attachment_id=row.id, filename=row.filename, size=row.size, sha256=row.sha256, task_id=None,
                     step_name="")
        attached.append(row)
    return attached


def _intact(path: Path, sha256: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False
