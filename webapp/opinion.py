"""One opinion box per step: a review form's own opinion field (党组织审查意见, 外事意见, 财务意见 …) is filled from
the page's single 审批意见 box instead of being asked for a second time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

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
    if schema is None or field is None:
        return schema
    props = {k: v for k, v in formrender.properties(schema).items() if k != field.key}
    required = [name for name in schema.get("required", []) if name != field.key]
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
