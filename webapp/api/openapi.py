"""The OpenAPI 3.1 document of /api/v1. The tests check it against the URL map and validate real responses
against its schemas, so it has to describe exactly what the views return."""
from __future__ import annotations

from typing import Any

from engine.cases.queries import VIEWS

from . import openapi_review
from .parsing import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

JSON = dict[str, Any]
CASE_STATUSES = ["running", "completed", "rejected", "withdrawn"]
TASK_STATUSES = ["open", "completed", "cancelled"]
DECISIONS = ["approve", "return", "reject", "submit"]


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: JSON, required: list[str] | None = None) -> JSON:
    """A closed object: every key the API returns is listed, so the tests notice undocumented ones."""
    return {"type": "object", "required": list(properties) if required is None else required,
            "properties": properties, "additionalProperties": False}


def _nullable(schema: JSON) -> JSON:
    return {**schema, "type": [schema["type"], "null"]}


TEXT: JSON = {"type": "string"}
INT: JSON = {"type": "integer"}
FREE_OBJECT: JSON = {"type": "object"}
TIMESTAMP: JSON = {"type": "string", "format": "date-time", "pattern": "Z$", "description": "ISO 8601，UTC，以 Z 结尾"}
FORM_SCHEMA: JSON = {"type": ["object", "null"],
                     "description": "表单的 JSON Schema（draft 2020-12）：properties 是可提交的字段（title 为中文名称），"
                                    "未声明的字段会被拒绝；没有表单时为 null"}
ROLE: JSON = {"type": "string", "description": "角色代码，如 secretary_general"}
ORG_CODE: JSON = {"type": "string", "description": "组织代码，如 XH"}

TASK_ITEM_PROPERTIES: JSON = {
    "id": INT, "case_id": INT, "case_number": {"type": "string", "description": "事项编号，如 XH-2026-JH-0001"},
    "case_title": TEXT, "case_status": {"enum": CASE_STATUSES}, "process": TEXT,
    "name": {"type": "string", "description": "步骤名称"}, "step": {"type": "string", "description": "BPMN 元素 id"},
    "kind": {"enum": ["draft", "review", "meeting", "report"]}, "role": ROLE, "role_name": TEXT, "org": ORG_CODE, "org_name": TEXT,
    "status": {"enum": TASK_STATUSES}, "created_at": TIMESTAMP, "due_at": _nullable(TIMESTAMP),
    "completed_at": _nullable(TIMESTAMP), "decision": {"enum": [*DECISIONS, None]},
}
PROCESS_PROPERTIES: JSON = {
    "key": TEXT, "name": TEXT, "version": {"type": "integer", "minimum": 1},
    "orgs": {"type": "array", "items": ORG_CODE, "description": "当前用户可为之发起此流程的组织代码"},
}

SCHEMAS: JSON = {
    "Error": _object({"error": _object({
        "code": {"type": "string", "description": "稳定的错误代码，如 not_found、conflict、invalid_data、http_405"},
        "message": {"type": "string", "description": "中文错误说明"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "逐字段的中文错误说明（字段名 → 说明）"},
        "problems": {"type": "array", "items": TEXT},
    }, required=["code", "message"])}),
    "UserRef": _object({"id": INT, "username": TEXT, "name": TEXT}),
    "Process": _object(PROCESS_PROPERTIES),
    "ProcessDetail": _object({**PROCESS_PROPERTIES, "start_form": FORM_SCHEMA}),
    "CaseTask": _object({
        "id": INT, "name": TEXT, "role": ROLE, "role_name": TEXT, "step": TEXT, "kind": {"enum": ["draft", "review", "meeting", "report"]},
        "status": {"enum": TASK_STATUSES}, "created_at": TIMESTAMP, "due_at": _nullable(TIMESTAMP),
        "completed_at": _nullable(TIMESTAMP), "decision": {"enum": [*DECISIONS, None]},
        "comment": _nullable(TEXT), "completed_by": {"oneOf": [_ref("UserRef"), {"type": "null"}]},
    }),
    "Case": _object({
        "id": INT, "number": TEXT, "process": TEXT, "process_name": TEXT, "version": INT, "org": ORG_CODE,
        "org_name": TEXT, "title": TEXT, "status": {"enum": CASE_STATUSES},
        "data": {**FREE_OBJECT, "description": "事项数据：各步骤表单提交的字段"},
        "submitter": _ref("UserRef"), "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
        "finished_at": _nullable(TIMESTAMP),
        "tasks": {"type": "array", "items": _ref("CaseTask"), "description": "按创建顺序的全部步骤"},
    }),
    "AuditEvent": _object({
        "id": INT, "at": TIMESTAMP, "action": {"type": "string", "description": "如 case.started、task.completed"},
        "actor": {"type": "string", "description": "操作人姓名（系统事件为“系统”）"}, "actor_id": _nullable(INT),
        "detail": FREE_OBJECT, "prev_hash": TEXT, "hash": {"type": "string", "description": "哈希链上本事件的 SHA-256"},
    }),
    "TaskItem": _object(TASK_ITEM_PROPERTIES),
    "TaskDetail": _object({
        **TASK_ITEM_PROPERTIES, "comment": _nullable(TEXT),
        "completed_by": {"oneOf": [_ref("UserRef"), {"type": "null"}]}, "form": FORM_SCHEMA,
        "decisions": {"type": "array", "items": {"enum": DECISIONS},
                      "description": "当前用户此刻可作出的处理结果；任务不在待办状态或无权处理时为空"},
        "return_targets": {"type": "array", "items": _ref("ReturnTarget"),
                           "description": "退回时可选的目标步骤（本事项此前已办理的步骤，最早的在前）；不能退回时为空"},
        "holder": {"oneOf": [_ref("UserRef"), {"type": "null"}],
                   "description": "当前指定的处理人（转办、委派、加签、起草步骤）；为 null 时由该角色的任一人员处理"},
        "draft": {"oneOf": [_ref("Draft"), {"type": "null"}], "description": "当前用户暂存的草稿"},
    }),
    "TaskPage": _object({"items": {"type": "array", "items": _ref("TaskItem")}, "total": INT, "limit": INT,
                         "offset": INT}),
    "StartCaseRequest": _object({
        "process": {"type": "string", "description": "流程 key"}, "org": ORG_CODE,
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "data": {**FREE_OBJECT, "description": "起草表单数据，须符合 GET /processes/{key} 的 start_form"},
    }),
    "CompleteTaskRequest": _object({
        "decision": {"enum": DECISIONS, "description": "approve 同意 · return 退回修改 · reject 不同意 · submit 提交"},
        "comment": {"type": ["string", "null"], "maxLength": 2000, "description": "审批意见；退回或不同意时必填"},
        "data": {"type": ["object", "null"], "description": "本步骤表单数据（退回、不同意时忽略）"},
        "return_to": {"type": ["string", "null"],
                      "description": "退回到的步骤（GET /tasks/{task_id} 的 return_targets[].step）；省略时退回发起人。"
                                     "该步骤之后的各步骤（包括政治把关步骤）都会重新办理"},
    }, required=["decision"]),
    **openapi_review.SCHEMAS,
}

ERROR_RESPONSES: JSON = {
    "BadRequest": "请求格式不正确：不是 JSON、不是对象、参数类型不对、含未知参数或查询参数无效",
    "Unauthorized": "缺少或无效的访问令牌",
    "Forbidden": "可以查看但无权执行此操作（如审批本人发起的事项）",
    "NotFound": "不存在，或不属于当前用户可访问的组织",
    "Conflict": "任务已被处理，不在待办状态",
    "InvalidData": "数据有误：fields 中逐字段给出中文说明",
    "PayloadTooLarge": "请求体超过 4 MB",
}
ERROR_STATUS = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
                "409": "Conflict", "413": "PayloadTooLarge", "422": "InvalidData"}


def _content(schema: JSON) -> JSON:
    return {"application/json": {"schema": schema}}


def _responses(status: str, description: str, schema: JSON, errors: str, headers: JSON | None = None) -> JSON:
    """``errors`` lists the error statuses of the operation, e.g. "401 404"."""
    ok: JSON = {"description": description, "content": _content(schema)}
    if headers:
        ok["headers"] = headers
    result = {status: ok}
    result.update({code: {"$ref": f"#/components/responses/{ERROR_STATUS[code]}"} for code in errors.split()})
    return result


def _id_param(name: str, description: str) -> JSON:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1}}


def _query(name: str, description: str, schema: JSON) -> JSON:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _body(schema_name: str) -> JSON:
    return {"required": True, "content": _content(_ref(schema_name))}


CASE_ID = _id_param("case_id", "事项 id")
TASK_ID = _id_param("task_id", "任务 id")
TASKS_DESCRIPTION = (
    "todo：我的待办（可处理的待办任务，最早的在前）；done：我的已办（我处理过的任务，最近的在前）；"
    "started：我发起的（每个我发起的事项一项，最近发起的在前）：该事项当前等待处理的任务，若事项已结束则为它的最后一个任务；"
    "copied：抄送我的（每个抄送给我的事项一项，形式同 started；是否已阅见 GET /copies）；"
    "started 与 copied 的 total 为事项数。只返回当前用户可访问组织的任务。可按流程、学会、时间段、是否超期筛选，"
    "按标题或编号搜索，并选择排序。")

PATHS: JSON = {
    "/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "本接口的 OpenAPI 文档", "security": [], "tags": ["meta"],
        "responses": {"200": {"description": "OpenAPI 3.1 文档", "content": _content(FREE_OBJECT)}}}},
    "/processes": {"get": {
        "operationId": "listProcesses", "summary": "我可发起的流程（各流程的最新版本）", "tags": ["processes"],
        "responses": _responses("200", "流程列表", {"type": "array", "items": _ref("Process")}, "401")}},
    "/processes/{key}": {"get": {
        "operationId": "getProcess", "summary": "流程详情及起草表单", "tags": ["processes"],
        "description": "任何已部署的流程都可查看；orgs 为空表示当前用户不能发起它。",
        "parameters": [{"name": "key", "in": "path", "required": True, "schema": TEXT, "description": "流程 key"}],
        "responses": _responses("200", "流程的最新版本", _ref("ProcessDetail"), "401 404")}},
    "/cases": {"post": {
        "operationId": "startCase", "summary": "发起事项", "tags": ["cases"], "requestBody": _body("StartCaseRequest"),
        "description": "以起草表单数据发起事项：起草步骤随即完成，第一个审核步骤进入待办。",
        "responses": _responses("201", "已发起的事项", _ref("Case"), "400 401 403 404 413 422", headers={
            "Location": {"description": "新事项的地址", "schema": TEXT}})}},
    "/cases/{case_id}": {"get": {
        "operationId": "getCase", "summary": "事项详情", "tags": ["cases"], "parameters": [CASE_ID],
        "responses": _responses("200", "事项", _ref("Case"), "401 404")}},
    "/cases/{case_id}/history": {"get": {
        "operationId": "getCaseHistory", "summary": "事项的审计记录（按发生顺序）", "tags": ["cases"],
        "parameters": [CASE_ID],
        "responses": _responses("200", "审计事件", {"type": "array", "items": _ref("AuditEvent")}, "401 404")}},
    "/tasks": {"get": {
        "operationId": "listTasks", "summary": "任务列表：待办、已办、我发起的、抄送我的", "tags": ["tasks"],
        "description": TASKS_DESCRIPTION,
        "parameters": [
            _query("view", "列表类型", {"enum": list(VIEWS), "default": "todo"}),
            _query("limit", "每页条数", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                       "default": DEFAULT_LIMIT}),
            _query("offset", "跳过的条数", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
            *openapi_review.FILTER_PARAMETERS,
        ],
        "responses": _responses("200", "一页任务", _ref("TaskPage"), "400 401")}},
    "/tasks/{task_id}": {"get": {
        "operationId": "getTask", "summary": "任务详情、表单与可选处理结果", "tags": ["tasks"], "parameters": [TASK_ID],
        "responses": _responses("200", "任务", _ref("TaskDetail"), "401 404")}},
    "/tasks/{task_id}/complete": {"post": {
        "operationId": "completeTask", "summary": "处理任务", "tags": ["tasks"], "parameters": [TASK_ID],
        "description": "审核步骤可选 approve / return / reject（return 和 reject 须填写 comment），起草步骤为 submit。"
                       "approve 与 submit 时 data 须符合该任务的表单。",
        "requestBody": _body("CompleteTaskRequest"),
        "responses": _responses("200", "处理后的事项", _ref("Case"), "400 401 403 404 409 413 422")}},
}
PAGING_PARAMETERS = PATHS["/tasks"]["get"]["parameters"][1:3]
PATHS.update(openapi_review.paths(_responses, CASE_ID, TASK_ID, _body, PAGING_PARAMETERS))


def document() -> JSON:
    return {
        "openapi": "3.1.0",
        "info": {"title": "把关 Baguan API", "version": "1.0.0",
                 "description": "学会事项审批的 JSON 接口。请求头 Authorization: Bearer <令牌>（令牌用 `baguan token create` "
                                "生成）。时间均为 UTC（ISO 8601，以 Z 结尾）。错误统一为 {\"error\": {\"code\", \"message\", "
                                "\"fields\"?}}，说明为中文；"
                                "不支持的请求方法返回 405，也是这一格式。"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": n} for n in ("meta", "processes", "cases", "tasks", "review")],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {name: {"description": text, "content": _content(_ref("Error"))}
                          for name, text in ERROR_RESPONSES.items()},
        },
    }
