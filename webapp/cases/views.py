"""Views of the cases blueprint: 发起 a case, and read one case with its history."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import FileStorage

from engine.cases import attachments as attachments
from engine.cases import operations as cases
from engine.cases import queries as queries
from engine.cases import start_drafts as start_drafts
from engine.cases import start_files as start_files
from engine.cases.api_views import start_form
from engine.errors import InvalidData, NotFound
from engine.identity.access import may_act
from engine.identity.models import Organisation
from engine.runtime.models import ProcessDefinition

from .. import formrender
from ..extensions import commit, db_session
from ..tasks.current import me
from ..tasks.files import upload_dir
from . import bp
from .context import case_page, history_entries, reference_choices
from .route import route_view

START_TITLES = {"title": "标题", "org": "所属学会", "file": "附件"}


@bp.route("/start")
@login_required
def start_index() -> Any:
    processes = [(definition, orgs, start_form(definition))
                 for definition, orgs in queries.startable_processes(db_session(), me())]
    return render_template("cases/start_index.html", processes=processes)


@bp.route("/start/<key>", methods=("GET", "POST"))
@login_required
def start(key: str) -> Any:
    definition, orgs = startable(key)
    schema = start_form(definition)
    if request.method != "POST":
        draft = start_drafts.start_draft_of(db_session(), me(), definition.key)
        if draft is None:
            return render_start(definition, orgs, schema)
        return render_start(definition, orgs, schema, dict(draft.data), title=draft.title, org_id=draft.org_id,
                            saved_at=draft.saved_at)
    org = chosen_org(orgs, request.form.get("_org"))
    title = request.form.get("_title", "")
    data = formrender.parse_form(schema, request.form) if schema else {}
    if request.form.get("decision") == "save_draft" or "remove_file" in request.form:
        return save_start_draft(definition, orgs, schema, org, title, data)
    try:
        case = cases.start_case(db_session(), me(), definition.key, org, title, data)
        start_files.attach_start_files(db_session(), me(), case, upload_dir())
        add_case_files(case.id)
    except InvalidData as error:
        db_session().rollback()
        return render_start(definition, orgs, schema, data, refused_files(error.fields), title, org.id), 422
    case_id, number = case.id, case.number
    start_drafts.discard_start_draft(db_session(), me(), definition.key)
    commit()
    flash(f"已提交，编号 {number}", "success")
    return redirect(url_for("cases.case", case_id=case_id))


def save_start_draft(definition: ProcessDefinition, orgs: list[Organisation], schema: dict[str, Any] | None,
                     org: Organisation, title: str, data: dict[str, Any]) -> Any:
    """暂存 on the start form: keep what was typed and attached so far; the start page reloads it next time."""
    try:
        start_drafts.save_start_draft(db_session(), me(), definition.key, org.id, title, data)
        remove_kept_file(definition.key, request.form.get("remove_file"))
        for file in chosen_files():
            with named(file):
                start_files.add_start_file(db_session(), me(), definition.key, file.filename, file.read(),
                                           upload_dir())
    except InvalidData as error:
        db_session().rollback()
        return render_start(definition, orgs, schema, data, refused_files(error.fields), title, org.id), 422
    commit()
    flash("已暂存，下次打开此发起页面时会自动填入" if "remove_file" not in request.form else "已删除附件", "success")
    return redirect(url_for("cases.start", key=definition.key))


def chosen_files() -> list[FileStorage]:
    return [f for f in request.files.getlist("files") if f and f.filename]


def add_case_files(case_id: int) -> None:
    """The files chosen on the form when it is submitted become the new case's attachments."""
    for file in chosen_files():
        with named(file):
            attachments.add_attachment(db_session(), me(), case_id, file.filename, file.read(), upload_dir())


@contextmanager
def named(file: FileStorage) -> Iterator[None]:
    """A refused file is named in the message, so the filer knows which of several to replace."""
    try:
        yield
    except InvalidData as error:
        name, reason = attachments.clean_filename(file.filename), error.fields.get("file", error.message)
        raise InvalidData(error.message, {**error.fields, "file": f"“{name}”：{reason}"}) from None


def remove_kept_file(process_key: str, raw: str | None) -> None:
    if raw is None:
        return
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound("暂存的附件不存在或已删除")
    start_files.remove_start_file(db_session(), me(), process_key, int(raw), upload_dir())


def refused_files(fields: dict[str, str]) -> dict[str, str]:
    """A refused submission keeps nothing of the files chosen with it: say so next to the attachment field."""
    if not chosen_files():
        return fields
    reason = f"{fields['file']}；" if "file" in fields else ""
    return {**fields, "file": f"{reason}本次选择的附件未保存，请重新选择"}


def startable(key: str) -> tuple[ProcessDefinition, list[Organisation]]:
    for definition, orgs in queries.startable_processes(db_session(), me()):
        if definition.key == key:
            return definition, orgs
    raise NotFound("流程不存在，或您没有发起此流程的权限")


def chosen_org(orgs: list[Organisation], raw: str | None) -> Organisation:
    """Only one of the user's eligible organisations; any other id answers 404."""
    if not raw and len(orgs) == 1:
        return orgs[0]
    org = next((o for o in orgs if str(o.id) == (raw or "").strip()), None)
    if org is None:
        raise NotFound("所选学会不存在，或您不能以其名义发起此流程")
    return org


def render_start(definition: ProcessDefinition, orgs: list[Organisation], schema: dict[str, Any] | None,
                 values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, title: str = "",
                 org_id: int | None = None, saved_at: Any = None) -> str:
    return render_template("cases/start.html", definition=definition, orgs=orgs, schema=schema,
                           values=values or {}, errors=errors or {}, title=title, saved_at=saved_at,
                           kept_files=start_files.start_files_of(db_session(), me(), definition.key),
                           org_id=org_id if org_id in {o.id for o in orgs} else orgs[0].id, extra_titles=START_TITLES,
                           references=reference_choices(db_session(), schema, orgs))


@bp.route("/cases/<int:case_id>")
@login_required
def case(case_id: int) -> Any:
    session = db_session()
    found = queries.get_case(session, me(), case_id)
    page = case_page(session, found, me())
    mine = [t for t in page.open_tasks if may_act(session, me(), t)]
    return render_template("cases/case.html", page=page, my_tasks=mine,
                           route=route_view(session, found, page.hidden),
                           history=history_entries(found, queries.case_history(session, found), page.hidden))
