"""The reviewer-workspace part of the OpenAPI document (merged into openapi.document())."""
from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
TEXT: JSON = {"type": "string"}
INT: JSON = {"type": "integer"}
TIMESTAMP: JSON = {"type": "string", "format": "date-time", "pattern": "Z$", "description": "ISO 8601，UTC，以 Z 结尾"}


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: JSON, required: list[str] | None = None) -> JSON:
    return {"type": "object", "required": list(properties) if required is None else required,
            "properties": properties, "additionalProperties": False}


def _query(name: str, description: str, schema: JSON) -> JSON:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


FILTER_PARAMETERS: list[JSON] = [
    _query("q", "按标题或事项编号搜索（如 XH-2026-JH-0007，也可只输编号的一部分）", {"type": "string", "maxLength": 100}),
    _query("process", "只看此流程（流程 key）", TEXT),
    _query("org", "只看此学会（组织代码，须为当前用户可查看的学会）", TEXT),
    _query("since", "时间段起点（北京时间日期，含当天）：待办按到达时间、已办按处理时间、我发起的按发起时间、抄送按抄送时间",
           {"type": "string", "format": "date"}),
    _query("until", "时间段终点（北京时间日期，含当天）", {"type": "string", "format": "date"}),
    _query("overdue", "只看超期：待办为已过办理期限、已办为超期办理、其余为当前步骤已超期", {"type": "boolean"}),
    _query("sort", "排序：oldest 最早的在前（待办默认）、newest 最新的在前（其余默认）、due 办理期限最近的在前（仅待办）",
           {"enum": ["oldest", "newest", "due"]}),
]

RETURN_TARGET: JSON = _object({
    "step": {"type": "string", "description": "BPMN 元素 id，作为 complete 的 return_to"}, "name": TEXT,
    "political": {"type": "boolean", "description": "政治把关步骤（退回到它之前时，它一定会重新审查）"},
    "drafting": {"type": "boolean", "description": "起草步骤（退回发起人）"},
})

SCHEMAS: JSON = {
    "ReturnTarget": RETURN_TARGET,
    "InboxCounts": _object({"todo": INT, "done": INT, "started": INT,
                            "copied_unread": {"type": "integer", "description": "抄送我的中未标记已阅的数量"}}),
    "CaseCopy": _object({
        "case_id": INT, "case_number": TEXT, "case_title": TEXT,
        "case_status": {"enum": ["running", "completed", "rejected", "withdrawn"]}, "process": TEXT, "org": TEXT,
        "org_name": TEXT, "copied_by": {"oneOf": [_ref("UserRef"), {"type": "null"}]},
        "note": {"type": ["string", "null"]}, "created_at": TIMESTAMP,
        "read_at": {**TIMESTAMP, "type": ["string", "null"], "description": "标记已阅的时间；未读为 null"},
    }),
    "CopyPage": _object({"items": {"type": "array", "items": _ref("CaseCopy")}, "total": INT, "limit": INT,
                         "offset": INT}),
    "ReasonRequest": _object({"reason": {"type": ["string", "null"], "maxLength": 500, "description": "说明（选填）"}},
                             required=[]),
    "WithdrawRequest": _object({"reason": {"type": "string", "minLength": 1, "maxLength": 500,
                                           "description": "撤销理由（必填）"}}),
    "CopyRequest": _object({
        "users": {"type": "array", "items": TEXT, "minItems": 1, "maxItems": 50,
                  "description": "抄送对象的用户名；须是能查看此事项的用户"},
        "note": {"type": ["string", "null"], "maxLength": 500, "description": "附言（选填）"}}, required=["users"]),
    "EmptyRequest": _object({}, required=[]),
    "UrgeRequest": _object({"message": {"type": ["string", "null"], "maxLength": 500, "description": "催办留言（选填）"}},
                           required=[]),
    "HandoverRequest": _object({
        "user": {"type": "string", "description": "对方用户名"},
        "note": {"type": ["string", "null"], "maxLength": 500, "description": "说明（选填）"}}, required=["user"]),
    "ReplyRequest": _object({"opinion": {"type": "string", "minLength": 1, "maxLength": 500,
                                         "description": "被委派人的意见（必填）"}}),
    "SignerRequest": _object({
        "user": {"type": "string", "description": "加签人用户名"},
        "position": {"enum": ["before", "after"], "description": "before 前加签（对方先处理，再回到我）；"
                                                                "after 后加签（我同意后，对方再处理）"},
        "note": {"type": ["string", "null"], "maxLength": 500}}, required=["user", "position"]),
    "BatchRequest": _object({
        "task_ids": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 100,
                     "description": "要同意的任务 id"},
        "comment": {"type": ["string", "null"], "maxLength": 2000, "description": "统一的审批意见（选填）"},
        "checks_confirmed": {"type": "boolean", "default": False,
                             "description": "审批人确认已逐件核对所选事项的核对项（如秘书长审核的“已核对业务与合规要点”），"
                                            "为每件填入这些核对项；未确认时，这类步骤逐件被拒绝并写明核对项。"
                                            "其他表单的核对项（如预算余额充足）不由批量确认填写"}},
        required=["task_ids"]),
    "BatchResult": _object({
        "results": {"type": "array", "items": _object({
            "task_id": INT, "ok": {"type": "boolean"}, "message": {"type": "string", "description": "已同意，或未能审批的原因"},
            "case_number": {"type": ["string", "null"]},
            "missing_fields": {"type": "array", "items": {"type": "string"},
                               "description": "同意前须填写的表单字段（中文标题）；须逐件办理"}})},
        "approved": INT, "failed": INT}),
    "Phrase": _object({"id": {"type": ["integer", "null"], "description": "自己保存的常用语的 id；通用常用语为 null"},
                       "text": TEXT, "own": {"type": "boolean"}}),
    "PhraseRequest": _object({"text": {"type": "string", "minLength": 1, "maxLength": 200}}),
    "Deleted": _object({"deleted": INT}),
    "ProxyRule": _object({"id": INT, "proxy": _ref("UserRef"), "starts_on": {"type": "string", "format": "date"},
                          "ends_on": {"type": "string", "format": "date"}, "cancelled": {"type": "boolean"},
                          "limits": {"type": "array", "items": {"type": "string"},
                                     "description": "代理人不会收到的步骤（政治把关步骤只由党组织书记本人办理）"}}),
    "ProxyRequest": _object({
        "proxy": {"type": "string", "description": "代理人用户名；须是本人所属每个组织的在职成员（管理员、审计员除外）"},
        "starts_on": {"type": "string", "format": "date", "description": "开始日期（北京时间，含当天）"},
        "ends_on": {"type": "string", "format": "date", "description": "结束日期（含当天），最长 366 天"}}),
    "Notification": _object({"id": INT, "kind": {"type": "string", "description": "如 copied、urged、delegated"},
                             "message": TEXT, "case_id": {"type": ["integer", "null"]}, "created_at": TIMESTAMP,
                             "read_at": {**TIMESTAMP, "type": ["string", "null"]}}),
    "NotificationList": _object({"items": {"type": "array", "items": _ref("Notification")},
                                 "unread": {"type": "integer", "description": "未读通知数"}}),
    "Marked": _object({"marked": {"type": "integer", "description": "标记为已读的通知数"}}),
    "Attachment": _object({
        "id": INT, "case_id": INT, "task_id": {"type": ["integer", "null"], "description": "意见附件所属的任务"},
        "filename": TEXT, "content_type": TEXT, "size": {"type": "integer", "description": "字节数"},
        "sha256": TEXT, "uploaded_by": _ref("UserRef"), "uploaded_at": TIMESTAMP}),
    "AttachmentContent": _object({
        "id": INT, "case_id": INT, "task_id": {"type": ["integer", "null"]}, "filename": TEXT, "content_type": TEXT,
        "size": INT, "sha256": TEXT, "uploaded_by": _ref("UserRef"), "uploaded_at": TIMESTAMP,
        "content_base64": {"type": "string", "description": "文件内容（Base64）"}}),
    "AttachmentRequest": _object({
        "filename": {"type": "string",
                     "description": "文件名；扩展名须为 pdf、docx、xlsx、pptx、doc、xls、png、jpg、jpeg、ofd、zip、txt 之一"},
        "content_base64": {"type": "string", "description": "文件内容（Base64），解码后不超过 3 MB，且须与扩展名相符"},
        "task_id": {"type": ["integer", "null"], "description": "作为意见附件时，自己正在办理的任务 id"}},
        required=["filename", "content_base64"]),
    "DraftRequest": _object({"data": {"type": "object", "description": "已填写的表单字段（只能是该步骤表单声明的字段）"},
                             "comment": {"type": ["string", "null"], "maxLength": 2000}}, required=["data"]),
    "Draft": _object({"task_id": INT, "data": {"type": "object"}, "comment": {"type": ["string", "null"]},
                      "saved_at": TIMESTAMP}),
    "UrgeResult": _object({"handlers": {"type": "array", "items": _ref("UserRef"),
                                        "description": "被催办的当前处理人"}}),
}


def paths(responses: Any, case_id: JSON, task_id: JSON, body: Any, paging: list[JSON]) -> JSON:
    """``responses``, ``body`` and ``paging`` are openapi.py's helpers (so error responses stay uniform)."""
    post_errors = "400 401 403 404 409 413 422"
    signer_id = {"name": "signer_id", "in": "path", "required": True, "description": "加签记录 id",
                 "schema": {"type": "integer", "minimum": 1}}

    def case_op(op_id: str, summary: str, description: str, request: str, result: str = "Case") -> JSON:
        return {"post": {"operationId": op_id, "summary": summary, "description": description, "tags": ["review"],
                         "parameters": [case_id], "requestBody": body(request),
                         "responses": responses("200", "操作后的结果", _ref(result), post_errors)}}

    def task_op(op_id: str, summary: str, description: str, request: str, param: JSON | None = None) -> JSON:
        return {"post": {"operationId": op_id, "summary": summary, "description": description, "tags": ["review"],
                         "parameters": [param or task_id], "requestBody": body(request),
                         "responses": responses("200", "操作后的任务（当前用户视角）", _ref("TaskDetail"), post_errors)}}

    return {
        "/tasks/{task_id}/transfer": task_op(
            "transferTask", "转办：把任务交给本步骤角色的另一人员", "之后由对方作出决定；任务已委派或正由加签人处理时返回 409。",
            "HandoverRequest"),
        "/tasks/{task_id}/delegate": task_op(
            "delegateTask", "委派：请他人提出意见，回复后任务回到本人",
            "被委派人只能回复意见（POST /tasks/{task_id}/reply），不能同意、退回或不同意（403）。", "HandoverRequest"),
        "/tasks/{task_id}/reply": task_op(
            "replyDelegation", "被委派人回复意见", "意见记入审计记录，任务交回委派人。", "ReplyRequest"),
        "/tasks/{task_id}/signers": task_op(
            "addSigner", "加签（前加签或后加签）",
            "前加签：对方先处理，其“同意”后任务回到本人；后加签：本人“同意”后任务交给对方，对方同意后流程才继续。"
            "加签人选择退回或不同意时，与本步骤作出该决定的效果相同。", "SignerRequest"),
        "/signers/{signer_id}/remove": task_op(
            "removeSigner", "减签：撤回尚未处理的加签人", "只有添加该加签人的人可以减签；对方已处理时返回 409。",
            "EmptyRequest", signer_id),
        "/tasks/batch-approve": {"post": {
            "operationId": "batchApprove", "summary": "批量审批：以同一意见逐件同意所选任务", "tags": ["review"],
            "description": "每件都是独立的、有审计记录的处理；某件不能审批（已被处理、无权、政治把关步骤等）不影响其他各件。",
            "requestBody": body("BatchRequest"),
            "responses": responses("200", "逐件结果", _ref("BatchResult"), "400 401 413 422")}},
        "/phrases": {
            "get": {"operationId": "listPhrases", "summary": "常用语（自己的在前，然后是通用的）", "tags": ["review"],
                    "responses": responses("200", "常用语", {"type": "array", "items": _ref("Phrase")}, "401")},
            "post": {"operationId": "addPhrase", "summary": "保存常用语", "tags": ["review"],
                     "requestBody": body("PhraseRequest"),
                     "responses": responses("201", "已保存的常用语", _ref("Phrase"), "400 401 409 413 422")}},
        "/phrases/{phrase_id}/delete": {"post": {
            "operationId": "deletePhrase", "summary": "删除自己的常用语", "tags": ["review"],
            "parameters": [{"name": "phrase_id", "in": "path", "required": True, "description": "常用语 id",
                            "schema": {"type": "integer", "minimum": 1}}],
            "requestBody": body("EmptyRequest"),
            "responses": responses("200", "已删除", _ref("Deleted"), "400 401 404 413 422")}},
        "/proxies": {
            "get": {"operationId": "listProxies", "summary": "我的代理人设置（生效中和将生效的）", "tags": ["review"],
                    "responses": responses("200", "代理设置", {"type": "array", "items": _ref("ProxyRule")}, "401")},
            "post": {"operationId": "setProxy", "summary": "设置代理人：期间内我的待办同时交给代理人处理",
                     "tags": ["review"], "requestBody": body("ProxyRequest"),
                     "description": "代理人处理时，审批记录同时记下代理人与被代理人（on_behalf_of_name）。",
                     "responses": responses("201", "代理设置", _ref("ProxyRule"), "400 401 409 413 422")}},
        "/proxies/{rule_id}/cancel": {"post": {
            "operationId": "cancelProxy", "summary": "取消代理人设置", "tags": ["review"],
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "description": "代理设置 id",
                            "schema": {"type": "integer", "minimum": 1}}],
            "requestBody": body("EmptyRequest"),
            "responses": responses("200", "已取消的设置", _ref("ProxyRule"), "400 401 404 413 422")}},
        "/notifications": {"get": {
            "operationId": "listNotifications", "summary": "消息中心：我的通知（最新的在前）", "tags": ["review"],
            "parameters": paging, "responses": responses("200", "通知", _ref("NotificationList"), "400 401")}},
        "/notifications/read": {"post": {
            "operationId": "readNotifications", "summary": "把我的通知全部标记为已读", "tags": ["review"],
            "requestBody": body("EmptyRequest"),
            "responses": responses("200", "标记数", _ref("Marked"), "400 401 413 422")}},
        "/cases/{case_id}/attachments": {
            "get": {"operationId": "listAttachments", "summary": "事项的附件", "tags": ["review"],
                    "parameters": [case_id],
                    "responses": responses("200", "附件", {"type": "array", "items": _ref("Attachment")}, "401 404")},
            "post": {"operationId": "addAttachment", "summary": "上传附件（事项附件或意见附件）", "tags": ["review"],
                     "description": "事项附件：发起人或当前处理人；意见附件：正在办理该任务的人。类型、大小和内容均会检查。",
                     "parameters": [case_id], "requestBody": body("AttachmentRequest"),
                     "responses": responses("201", "已上传的附件", _ref("Attachment"), post_errors)}},
        "/attachments/{attachment_id}": {"get": {
            "operationId": "getAttachment", "summary": "下载附件（须能查看其所属事项）", "tags": ["review"],
            "parameters": [{"name": "attachment_id", "in": "path", "required": True, "description": "附件 id",
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": responses("200", "附件及其内容", _ref("AttachmentContent"), "401 404")}},
        "/tasks/{task_id}/draft": {"post": {
            "operationId": "saveDraft", "summary": "暂存：保存任务表单和意见的草稿", "tags": ["review"],
            "parameters": [task_id], "requestBody": body("DraftRequest"),
            "responses": responses("200", "已暂存的草稿", _ref("Draft"), post_errors)}},
        "/inbox/counts": {"get": {
            "operationId": "getInboxCounts", "summary": "待办、已办、我发起的、抄送我的（未读）数量", "tags": ["review"],
            "responses": responses("200", "各分类数量", _ref("InboxCounts"), "401")}},
        "/copies": {"get": {
            "operationId": "listCopies", "summary": "抄送我的（含是否已阅），最新的在前", "tags": ["review"],
            "parameters": paging, "responses": responses("200", "一页抄送", _ref("CopyPage"), "400 401")}},
        "/cases/{case_id}/recall": case_op(
            "recallCase", "撤回：发起人在审核人处理前取回事项",
            "事项回到起草步骤；任何审核人已处理过时返回 409。只有发起人可以撤回（403）。", "ReasonRequest"),
        "/cases/{case_id}/withdraw": case_op(
            "withdrawCase", "撤销：发起人终止整个事项", "事项状态变为 withdrawn，须填写撤销理由。", "WithdrawRequest"),
        "/cases/{case_id}/copies": case_op(
            "copyCase", "抄送事项", "被抄送人在“抄送我的”中看到此事项，可标记已阅；重复抄送同一人不会重复记录。",
            "CopyRequest"),
        "/cases/{case_id}/read": case_op(
            "markCopyRead", "已阅：标记抄送给我的事项为已阅", "事项没有抄送给当前用户时返回 409。", "EmptyRequest"),
        "/cases/{case_id}/urge": case_op(
            "urgeCase", "催办当前处理人", "发起人或管理员可催办；每个事项每小时最多一次（否则 409）。", "UrgeRequest",
            "UrgeResult"),
    }
