"""Reading API input: a JSON object body with typed top-level keys, paging parameters and object ids.

Structural mistakes (not JSON, not an object, a key of the wrong type, an unknown key, a bad query
parameter) are 400; a missing required key is 422 with the field named, like any other invalid data.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask import request

from engine.errors import BadRequest, InvalidData, NotFound

from ..input_guard import NUL_MESSAGE

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,9}")
_NAME = re.compile(r"[\w.\-]{1,64}")
TYPE_LABELS = {"string": "文本", "object": "对象", "array": "数组", "integer": "整数", "number": "数字",
               "boolean": "布尔值", "null": "null"}
JSON = dict[str, Any]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"不支持的数值 {name}")


def json_body() -> Any:
    """The request body parsed as JSON (NaN and Infinity refused); 413 comes from the size limit."""
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("请求体不是有效的 JSON（应为 UTF-8 编码的 JSON 对象）") from None
    if _contains_nul(body):
        raise BadRequest(NUL_MESSAGE)
    return body


def _contains_nul(value: Any) -> bool:
    """A NUL character in any key or text of the body (walked without recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def json_object(schema: JSON) -> dict[str, Any]:
    """A JSON object body checked against its request schema in the OpenAPI document: only the declared
    top-level keys, each of its declared JSON type, the required ones present. Finer constraints (lengths,
    enums, form data) are the engine's, which names the field in Chinese."""
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    declared: JSON = schema.get("properties", {})
    wrong = {name: "不支持的参数" for name in body if name not in declared}
    for name, prop in declared.items():
        kinds = json_types(prop)
        if name in body and not any(_is_json_type(body[name], kind) for kind in kinds):
            wrong[name] = "类型不正确，应为" + "或".join(TYPE_LABELS[kind] for kind in kinds)
    if wrong:
        raise BadRequest("请求参数格式不正确", wrong)
    missing = {name: "必填" for name in schema.get("required", []) if name not in body}
    if missing:
        raise InvalidData("缺少必填参数", missing)
    return body


def json_types(prop: JSON) -> list[str]:
    """The JSON types a property schema admits (an ``enum`` admits the types of its values)."""
    if "enum" in prop:
        return sorted({_json_type_of(value) for value in prop["enum"]}, key=list(TYPE_LABELS).index)
    kinds = prop.get("type", [])
    return [kinds] if isinstance(kinds, str) else list(kinds)


def _json_type_of(value: Any) -> str:
    return next(kind for kind in TYPE_LABELS if _is_json_type(value, kind))


def _is_json_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "object": dict, "array": list, "boolean": bool,
                              "null": type(None)}[kind])


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging() -> Paging:
    limit = _int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_param("offset", 0, 0, MAX_OFFSET)
    return Paging(limit, offset)


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadRequest(f"参数 {name} 无效", {name: f"应为 {low} 到 {high} 之间的整数"})
    return int(raw)


def choice_param(name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in choices:
        raise BadRequest(f"参数 {name} 无效", {name: "可选：" + "、".join(choices)})
    return value


def object_id(value: int, what: str) -> int:
    """Ids beyond the database integer range cannot exist; answer 404 instead of a database error."""
    if value > MAX_ID:
        raise NotFound(f"{what}不存在或您无权访问")
    return value


def object_name(value: str, what: str) -> str:
    """Process keys and organisation codes: anything outside their alphabet cannot exist (and a NUL
    character would make PostgreSQL fail), so answer 404 before querying."""
    if not _NAME.fullmatch(value):
        raise NotFound(f"{what}不存在或您无权访问")
    return value
