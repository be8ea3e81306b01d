"""One opinion box per step: a review form's own opinion field (党组织审查意见, 外事意见, 财务意见 …) is filled from
the page's single 审批意见 box instead of being asked for a second time. The ticks 同意 requires (已核对业务与合规要点
…) sit in the action bar beside 同意, once each."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import forms as form_lib

from . import formrender

Schema = dict[str, Any]


@dataclass(frozen=True)
class OpinionField:
    key: str
    title: str
    required: bool


def opinion_field(schema: Schema | None, kind: str) -> OpinionField | None:
    """The review form's free-text field titled …意见, if it has one (a filing form never does)."""
    if schema is None or kind == "draft":
        return None
    for key, prop in formrender.properties(schema).items():
        title = str(prop.get("title") or "")
        if formrender.widget(prop) == "textarea" and title.endswith("意见"):
            return OpinionField(key, title, key in formrender.required_names(schema))
    return None


def without_opinion(schema: Schema | None, field: OpinionField | None) -> Schema | None:
    """The step form as the page renders it: the opinion field lives in the action bar instead."""
    return without_fields(schema, {field.key} if field else set())


@dataclass(frozen=True)
class ApproveCheck:
    key: str
    title: str


def approve_checks(schema: Schema | None) -> list[ApproveCheck]:
    """The yes/no ticks 同意 requires (``x-requiredForApprove`` answered ``true``): the action bar shows them."""
    props = formrender.properties(schema)
    wanted = (schema or {}).get(form_lib.REQUIRED_FOR_APPROVE) or {}
    return [ApproveCheck(key, str(props[key].get("title") or key)) for key, answer in wanted.items()
            if answer is True and key in props and formrender.widget(props[key]) == "checkbox"]


def without_fields(schema: Schema | None, keys: set[str]) -> Schema | None:
    """The step form without ``keys`` (rendered elsewhere on the page, still posted with the same form)."""
    if schema is None or not keys:
        return schema
    props = {k: v for k, v in formrender.properties(schema).items() if k not in keys}
    required = [name for name in schema.get("required", []) if name not in keys]
    return {**schema, "properties": props, "required": required}


def parse_step_form(schema: Schema | None, form: Mapping[str, str], field: OpinionField | None,
                    comment: str) -> dict[str, Any]:
    """The step's data; the opinion field takes the 审批意见 unless the request posts the field itself."""
    if schema is None:
        return {}
    if field is None or field.key in form:
        return formrender.parse_form(schema, form)
    data = formrender.parse_form(without_opinion(schema, field), form)
    if comment.strip():
        data[field.key] = comment.strip()
    return data
