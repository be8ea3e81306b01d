"""API routes: thin wrappers that parse input, call one engine operation or query, commit, render."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from engine.cases import api_views as api_views
from engine.cases import attachments as attachments
from engine.cases import confidential as confidential
from engine.cases import inbox as inbox
from engine.cases import operations as cases
from engine.cases import queries as queries
from engine.identity.access import may_act
from engine.identity.models import User
from engine.review import case_ops as review_ops
from engine.review import separation as separation
from engine.review import task_ops as task_ops
from engine.runtime.models import Case, HumanTask

from ..extensions import commit, db_session
from ..tasks.filters import parse_filter
from . import bp, render
from .auth import api_user
from .openapi import SCHEMAS, document
from .parsing import choice_param, json_object, object_id, object_name, paging

LIST_SORTS = {queries.OPEN_VIEW: inbox.SORTS, queries.DONE: (inbox.NEWEST, inbox.OLDEST),
              queries.STARTED: (inbox.NEWEST, inbox.OLDEST), queries.COPIED: (inbox.NEWEST, inbox.OLDEST)}


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document())


@bp.get("/processes")
def list_processes() -> Response:
    startable = queries.startable_processes(db_session(), api_user())
    return jsonify([render.process_summary(definition, orgs) for definition, orgs in startable])


@bp.get("/processes/<key>")
def get_process(key: str) -> Response:
    session = db_session()
    definition = api_views.process_definition(session, object_name(key, "流程"))
    orgs = next((o for d, o in queries.startable_processes(session, api_user()) if d.id == definition.id), [])
    return jsonify(render.process_detail(definition, orgs, api_views.start_form(definition)))


@bp.post("/cases")
def start_case() -> tuple[Response, int, dict[str, str]]:
    body = json_object(SCHEMAS["StartCaseRequest"])
    session, user = db_session(), api_user()
    org = api_views.visible_org(session, user, object_name(body["org"], "组织"))
    case = cases.start_case(session, user, object_name(body["process"], "流程"), org, body["title"], body["data"])
    return committed_case(case), 201, {"Location": url_for("api.get_case", case_id=case.id)}


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int) -> Response:
    case = queries.get_case(db_session(), api_user(), object_id(case_id, "事项"))
    return jsonify(case_json(case))


@bp.get("/cases/<int:case_id>/history")
def case_history(case_id: int) -> Response:
    session = db_session()
    case = queries.get_case(session, api_user(), object_id(case_id, "事项"))
    hidden = confidential.hidden_fields(session, api_user(), case)
    return jsonify([render.audit_event(e, confidential.redact_detail(e.detail, hidden))
                    for e in queries.case_history(session, case)])


@bp.get("/tasks")
def list_tasks() -> Response:
    view = choice_param("view", queries.VIEWS, queries.OPEN_VIEW)
    page = paging()
    session, user = db_session(), api_user()
    f = parse_filter(session, user, request.args, LIST_SORTS[view])
    if view in (queries.STARTED, queries.COPIED):
        return jsonify(_case_list_page(session, user, view, page.limit, page.offset, f))
    lister = queries.todo_tasks if view == queries.OPEN_VIEW else queries.done_tasks
    result = lister(session, user, limit=page.limit, offset=page.offset, f=f)
    items = [render.task_item(t) for t in result.items]
    return jsonify(render.task_page(items, result.total, result.limit, result.offset))


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Response:
    user = api_user()
    task = queries.get_task(db_session(), user, object_id(task_id, "任务"))
    return jsonify(task_json(task, user))


def task_json(task: HumanTask, user: User) -> dict[str, Any]:
    """TaskDetail: the task, its form, what ``user`` may decide now, where a 退回 may go, who holds it."""
    replying = task_ops.open_delegation(db_session(), task) is not None
    acting = task.status == "open" and may_act(db_session(), user, task) and not replying
    acting = acting and separation.conflicting_step(db_session(), task, user) is None
    decisions = task_ops.decisions_for(db_session(), task, user, cases.allowed_decisions(task)) if acting else []
    targets = review_ops.return_options(db_session(), user, task.id) if "return" in decisions else []
    holder = db_session().get(User, task.assignee_id) if task.assignee_id else None
    draft = attachments.draft_of(db_session(), user, task)
    return {**render.task_detail(task, _task_form(task), decisions),
            "return_targets": [render.return_target(t) for t in targets], "holder": render.user_ref(holder),
            "draft": None if draft is None else {"task_id": draft.task_id, "data": draft.data, "comment": draft.comment,
                                                 "saved_at": render.iso(draft.saved_at)}}


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int) -> Response:
    body = json_object(SCHEMAS["CompleteTaskRequest"])
    case = cases.complete_task(db_session(), api_user(), object_id(task_id, "任务"), body["decision"],
                               body.get("comment"), body.get("data"), return_to=body.get("return_to"))
    return committed_case(case)


def committed_case(case: Case) -> Response:
    """The changed case as JSON, rendered in the operation's own transaction and then committed."""
    return committed(case_json(case))


def committed(answer: Any) -> Response:
    """Render ``answer`` in the operation's own transaction, then commit: answering takes no second transaction
    (on SQLite, no second wait for the write lock) and reads nothing another request wrote in between."""
    shown = jsonify(answer)
    commit()
    return shown


def case_json(case: Case) -> dict[str, Any]:
    """CaseDetail: the case with its tasks, fields hidden from the API user redacted."""
    session = db_session()
    data = confidential.redact(case.data, confidential.hidden_fields(session, api_user(), case))
    return render.case_detail(case, queries.case_tasks(session, case), data)


def _task_form(task: HumanTask) -> dict[str, Any] | None:
    return task.case.definition.forms.get(task.form_key) if task.form_key else None


def _case_list_page(session: Any, user: User, view: str, limit: int, offset: int, f: Any) -> dict[str, Any]:
    """One item per case the user started (or was copied): the task it waits at, or its last task once finished."""
    if view == queries.STARTED:
        result = queries.started_cases(session, user, limit=limit, offset=offset, f=f)
        found = list(result.items)
    else:
        result = queries.copied_cases(session, user, limit=limit, offset=offset, f=f)
        found = [c.case for c in result.items]
    chosen = api_views.current_or_last_task(session, found)
    items = [render.task_item(chosen[c.id]) for c in found if c.id in chosen]
    return render.task_page(items, result.total, result.limit, result.offset)
