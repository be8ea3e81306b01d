"""Declarative task forms: JSON Schema documents with Chinese titles, loaded and validated here.

A form is a JSON object schema whose ``properties`` are the only fields a task accepts. This module knows
nothing of the engine or the web layer.

Four extension keywords (ignored by JSON Schema itself) state what a form's answers mean for a decision:

- ``"x-requiredForApprove": {"budget_balance_ok": true}`` on the form: the answers 同意 requires. A review
  form's checks (预算余额充足 是/否 …) refuse 同意 when answered otherwise; 退回修改 and 不同意 stay possible.
- ``"x-batchConfirm": true`` on a form with ``x-requiredForApprove``: in 批量审批 the reviewer may confirm
  those checks once for the whole batch (``checks_confirmed``), which fills them for each case; without the
  confirmation each such case is refused, naming the checks. A batch never fills the checks of other forms
  (预算余额充足 …): such steps are refused in 批量审批 and decided one by one.
- ``"x-notAboveCase": {"paid_amount": "amount"}`` on the form: a number field may not exceed the case
  variable named (what was approved), e.g. the amount paid may not exceed the amount approved.
- ``"x-hint": "请填写 11 位手机号或带区号的座机号"`` on a field: a format hint shown under its input and
  in the message when its ``pattern`` refuses the answer (the field's ``description`` serves when absent).
- ``"x-caseRef": "fee_filing"`` on a text field: the field holds the number of a completed case of that
  process of the same society (checked by the engine, offered as a picker by the web form).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

FORMS_DIR = Path(__file__).resolve().parent
FORM_KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
REQUIRED_FOR_APPROVE = "x-requiredForApprove"
BATCH_CONFIRM = "x-batchConfirm"
NOT_ABOVE_CASE = "x-notAboveCase"
CASE_REF = "x-caseRef"
HINT = "x-hint"
MAX_HINT = 200
RESERVED_KEYS = frozenset({"typename", "decision", "comment"})
SUPPORTED_TYPES = {"string", "integer", "number", "boolean", "array", "object"}


class FormError(ValueError):
    """A form document is not a usable form schema."""


def load_form_file(path: Path) -> tuple[str, dict[str, Any]]:
    key = path.stem
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormError(f"表单 {path.name} 无法读取：{exc}") from None
    check_form_schema(key, schema)
    return key, schema


def load_forms(directory: Path = FORMS_DIR) -> dict[str, dict[str, Any]]:
    """All ``*.json`` forms of a directory, keyed by file stem."""
    return dict(load_form_file(p) for p in sorted(directory.glob("*.json")))


def check_form_schema(key: str, schema: Any) -> None:
    """Raise FormError unless ``schema`` is a valid JSON Schema for an object with titled fields."""
    if not FORM_KEY.match(key):
        raise FormError(f"表单名 {key!r} 不合法：只能用小写字母、数字和下划线")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise FormError(f"表单 {key} 必须是 type=object 的 JSON Schema")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise FormError(f"表单 {key} 不是有效的 JSON Schema：{exc.message}") from None
    for name, prop in schema.get("properties", {}).items():
        _check_field(key, name, prop)
    _check_approve_rules(key, schema)
    _check_limits(key, schema)


def _check_approve_rules(key: str, schema: dict[str, Any]) -> None:
    rules = schema.get(REQUIRED_FOR_APPROVE, {})
    declared = schema.get("properties", {})
    if not isinstance(rules, dict):
        raise FormError(f"表单 {key} 的 {REQUIRED_FOR_APPROVE} 必须是“字段: 要求的答案”对象")
    for name, wanted in rules.items():
        prop = declared.get(name)
        if prop is None:
            raise FormError(f"表单 {key} 的 {REQUIRED_FOR_APPROVE} 引用了未声明的字段 {name}")
        if not Draft202012Validator(prop).is_valid(wanted):
            raise FormError(f"表单 {key} 的 {REQUIRED_FOR_APPROVE} 中字段 {name} 要求的答案不符合该字段的类型")
    confirm = schema.get(BATCH_CONFIRM, False)
    if not isinstance(confirm, bool) or (confirm and not rules):
        raise FormError(f"表单 {key} 的 {BATCH_CONFIRM} 只能是 true/false，且只用于声明了 {REQUIRED_FOR_APPROVE} 的表单")


def _check_limits(key: str, schema: dict[str, Any]) -> None:
    limits = schema.get(NOT_ABOVE_CASE, {})
    declared = schema.get("properties", {})
    if not isinstance(limits, dict) or not all(isinstance(v, str) and v for v in limits.values()):
        raise FormError(f"表单 {key} 的 {NOT_ABOVE_CASE} 必须是“字段: 事项变量名”对象")
    for name in limits:
        if declared.get(name, {}).get("type") not in ("number", "integer"):
            raise FormError(f"表单 {key} 的 {NOT_ABOVE_CASE} 只能用于已声明的数字字段（{name} 不是）")


def _check_field(key: str, name: str, prop: Any) -> None:
    if name in RESERVED_KEYS or name.startswith("_") or not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", name):
        raise FormError(f"表单 {key} 的字段名 {name!r} 不可用")
    if not isinstance(prop, dict) or not prop.get("title"):
        raise FormError(f"表单 {key} 的字段 {name} 缺少中文标题 title")
    if prop.get("type") not in SUPPORTED_TYPES:
        raise FormError(f"表单 {key} 的字段 {name} 的类型不受支持")
    hint = prop.get(HINT)
    if hint is not None and (not isinstance(hint, str) or not 0 < len(hint) <= MAX_HINT):
        raise FormError(f"表单 {key} 的字段 {name} 的 {HINT} 必须是不超过 {MAX_HINT} 字的文字")
    ref = prop.get(CASE_REF)
    if ref is not None and (prop.get("type") != "string" or not isinstance(ref, str) or not FORM_KEY.match(ref)):
        raise FormError(f"表单 {key} 的字段 {name} 的 {CASE_REF} 必须是流程标识，且只能用于文本字段")


def approval_refusals(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """``{field: 中文理由}`` for every check of ``x-requiredForApprove`` the submitted answers fail."""
    declared = schema.get("properties", {})
    refusals = {}
    for name, wanted in (schema.get(REQUIRED_FOR_APPROVE) or {}).items():
        answer = data.get(name)
        if answer is not None and type(answer) is not type(wanted):
            continue  # a wrongly typed answer is reported by validation (格式不正确), not as a failed check
        if answer != wanted:
            refusals[name] = (f"“{declared[name]['title']}”须为“{_shown(wanted)}”才能同意"
                              f"（当前：{_shown(answer)}）；请退回修改或不同意")
    return refusals


def approval_checks(schema: dict[str, Any]) -> dict[str, Any]:
    """The answers 同意 requires, by field title (for display beside the form)."""
    declared = schema.get("properties", {})
    return {declared[name]["title"]: wanted for name, wanted in (schema.get(REQUIRED_FOR_APPROVE) or {}).items()}


def batch_confirmable(schema: dict[str, Any] | None) -> bool:
    """Whether 批量审批 may fill this form's checks from one confirmation for the whole batch."""
    return bool(schema) and schema.get(BATCH_CONFIRM) is True and bool(schema.get(REQUIRED_FOR_APPROVE))


def batch_confirmed_answers(schema: dict[str, Any] | None) -> dict[str, Any]:
    """The answers a batch confirmation fills in (the checks 同意 requires), or nothing for other forms."""
    return dict(schema[REQUIRED_FOR_APPROVE]) if schema and batch_confirmable(schema) else {}


def limit_refusals(schema: dict[str, Any], data: dict[str, Any], case_data: dict[str, Any]) -> dict[str, str]:
    """``{field: 中文理由}`` for each ``x-notAboveCase`` number above the case variable it may not exceed."""
    declared = schema.get("properties", {})
    refusals = {}
    for name, variable in (schema.get(NOT_ABOVE_CASE) or {}).items():
        value, limit = data.get(name), case_data.get(variable)
        if not _is_number(value):
            continue
        if not _is_number(limit):
            refusals[name] = f"本事项没有可比对的已批准金额（{variable}），不能录入{declared[name]['title']}"
        elif value > limit:
            refusals[name] = (f"{declared[name]['title']} {value:,.2f} 超过已批准的金额 {limit:,.2f}，不得超额支付；"
                              f"超出部分须另行申请，按新金额的审批层级重新审批")
    return refusals


def case_refs(schema: dict[str, Any] | None) -> dict[str, str]:
    """``{field: process key}`` of the fields that name a completed case of another process."""
    return {name: prop[CASE_REF] for name, prop in (schema or {}).get("properties", {}).items() if prop.get(CASE_REF)}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    return "未填" if value is None else str(value)


def validate_data(schema: dict[str, Any], data: Any) -> dict[str, str]:
    """Validate submitted data; return ``{field: 中文错误}`` (empty when valid).

    Fields the form does not declare are refused, so a submission can never set other case variables.
    """
    if not isinstance(data, dict):
        return {"_": "表单数据必须是对象"}
    errors: dict[str, str] = {}
    declared = schema.get("properties", {})
    for name in data:
        if name not in declared:
            errors[str(name)] = "表单中没有这个字段"
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator == "additionalProperties" and not error.absolute_path:
            continue
        for field in _error_fields(error):
            errors.setdefault(field, _message(error, declared))
    _check_text(data, errors)
    return errors


def _error_fields(error: ValidationError) -> list[str]:
    """The dotted paths an error is about: its own path, or for ``required`` the missing properties under it
    (from the schema's list and the instance, never from the English message)."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [".".join([*path, name]) for name in missing] or [".".join(path) or "_"]
    return [".".join(path) or "_"]


def _message(error: ValidationError, declared: dict[str, Any]) -> str:
    v, value = error.validator, error.validator_value
    messages = {
        "required": "必填",
        "type": f"格式不正确（应为{_TYPE_NAMES.get(str(value), value)}）",
        "minLength": "不能为空" if value == 1 else f"至少 {value} 个字",
        "maxLength": f"不能超过 {value} 个字",
        "minimum": f"不能小于 {value}",
        "maximum": f"不能大于 {value}",
        "exclusiveMinimum": f"必须大于 {value}",
        "exclusiveMaximum": f"必须小于 {value}",
        "enum": "请从给定选项中选择",
        "format": "日期格式应为 YYYY-MM-DD" if value == "date" else "格式不正确",
        "minItems": f"至少填写 {value} 行",
        "maxItems": f"最多填写 {value} 行",
        "pattern": _pattern_message(error.schema),
        "additionalProperties": "包含表单中没有的字段",
    }
    return messages.get(str(v), "内容不符合要求")


def format_hint(prop: Any) -> str | None:
    """The format hint of a field: its ``x-hint``, else its ``description``."""
    if not isinstance(prop, dict):
        return None
    hint = prop.get(HINT) or prop.get("description")
    return hint if isinstance(hint, str) and hint else None


def _pattern_message(prop: Any) -> str:
    hint = format_hint(prop)
    return f"格式不正确：{hint}" if hint else "格式不正确"


_TYPE_NAMES = {"string": "文本", "integer": "整数", "number": "数字", "boolean": "是/否", "array": "列表", "object": "对象"}


def _check_text(value: Any, errors: dict[str, str], path: str = "") -> None:
    """Refuse NUL characters and reserved keys anywhere: PostgreSQL and SpiffWorkflow cannot store them."""
    if isinstance(value, str) and "\x00" in value:
        errors.setdefault(path or "_", "包含不允许的控制字符")
    elif isinstance(value, float) and not math.isfinite(value):
        errors.setdefault(path or "_", "不是有效的数字")
    elif isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if k in RESERVED_KEYS:
                errors.setdefault(sub, "字段名不可用")
            _check_text(v, errors, sub)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_text(v, errors, f"{path}.{i}")
