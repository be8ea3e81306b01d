"""Attachments: upload to a case or an opinion, and permission-checked download (never from the web root)."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_login import login_required

from engine.cases import attachments as attachments
from engine.errors import InvalidData, PermissionDenied
from engine.runtime.models import Case

from ..extensions import commit, db_session
from . import bp
from .current import me


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


@bp.post("/cases/<int:case_id>/attachments")
@login_required
def upload(case_id: int) -> Any:
    raw_task = request.form.get("task_id", "")
    task_id = int(raw_task) if raw_task.isdigit() and len(raw_task) < 10 else None
    back = url_for("tasks.task", task_id=task_id) if task_id else url_for("cases.case", case_id=case_id)
    file = request.files.get("file")
    try:
        attachments.add_attachment(db_session(), me(), case_id, file.filename if file else None,
                                   file.read() if file else b"", upload_dir(), task_id)
    except (InvalidData, PermissionDenied) as error:
        db_session().rollback()
        detail = "；".join(error.fields.values()) if isinstance(error, InvalidData) and error.fields else ""
        flash(error.message + (f"：{detail}" if detail else ""), "error")
        return redirect(back)
    commit()
    flash("附件已上传", "success")
    return redirect(back)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Any:
    row, data = attachments.read_attachment(db_session(), me(), attachment_id, upload_dir())
    response = send_file(BytesIO(data), mimetype=row.content_type, as_attachment=True, download_name=row.filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_global()
def attachments_of(case: Case) -> list[Any]:
    return attachments.case_attachments(db_session(), case)


@bp.app_context_processor
def attachment_rules() -> dict[str, str]:
    """What an upload field accepts, in words and as the file picker's ``accept`` list."""
    return {"attachment_rule": "只接受 pdf、Word、Excel、PowerPoint、图片、ofd、zip、txt，"
                               f"单个不超过 {attachments.MAX_BYTES // (1024 * 1024)} MB",
            "attachment_accept": ",".join(f".{ext}" for ext in attachments.TYPES)}


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    """Bytes as people read them: 820 B, 12.5 KB, 2.4 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
