"""暂存 obeys the limits of a submission: the step's form schema (types, lengths, row counts, NUL, reserved keys),
the opinion's length, plus a nesting depth and a total size, so a draft can hold nothing a submission could not.

Only completeness is relaxed: a draft may leave required fields, rows and texts empty.
"""
from __future__ import annotations

import json
from typing import Any

import forms as form_lib
from engine.errors import InvalidData

MAX_DRAFT_DEPTH = 8
MAX_DRAFT_BYTES = 256 * 1024
MAX_DRAFT_COMMENT = 2000
_COMPLETENESS = ("required", "minItems", "minLength", "minProperties")


def _partial(schema: Any) -> Any:
    """The schema without its completeness rules, at every level."""
    if isinstance(schema, dict):
        return {k: _partial(v) for k, v in schema.items() if k not in _COMPLETENESS}
    if isinstance(schema, list):
        return [_partial(item) for item in schema]
    return schema


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_DRAFT_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest


def check_draft(form: dict[str, Any] | None, data: Any, comment: str | None) -> str:
    """Raise InvalidData (fields named in Chinese) for a draft a submission would refuse; return the opinion."""
    comment = comment or ""
    if len(comment) > MAX_DRAFT_COMMENT or "\x00" in comment:
        raise InvalidData("审批意见无效", {"comment": f"审批意见不能超过 {MAX_DRAFT_COMMENT} 字，且不能含控制字符"})
    if not isinstance(data, dict):
        raise InvalidData("表单数据无效", {"data": "表单数据必须是对象"})
    if _depth(data) > MAX_DRAFT_DEPTH:
        raise InvalidData("表单数据无效", {"data": f"表单数据嵌套过深（最多 {MAX_DRAFT_DEPTH} 层）"})
    if len(json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")) > MAX_DRAFT_BYTES:
        raise InvalidData("表单数据过大", {"data": f"暂存的内容不能超过 {MAX_DRAFT_BYTES // 1024} KB"})
    if form is None:
        if data:
            raise InvalidData("此步骤没有表单，不接受表单数据", {str(k): "表单中没有这个字段" for k in list(data)[:10]})
        return comment
    errors = form_lib.validate_data(_partial(form), data)
    if errors:
        raise InvalidData("表单填写有误", dict(list(errors.items())[:20]))
    return comment
