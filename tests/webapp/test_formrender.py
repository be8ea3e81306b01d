"""Rendering JSON Schema forms as HTML and parsing submitted forms back into typed data (no database)."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

import forms
from webapp import formrender

PLAN = json.loads((forms.FORMS_DIR / "annual_plan.json").read_text(encoding="utf-8"))
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "count"],
    "properties": {
        "name": {"type": "string", "title": "名称", "maxLength": 50, "description": "填写全称"},
        "notes": {"type": "string", "title": "说明", "x-widget": "textarea"},
        "long_text": {"type": "string", "title": "长文本", "maxLength": 1000},
        "day": {"type": "string", "title": "日期", "format": "date"},
        "count": {"type": "integer", "title": "数量", "minimum": 0},
        "amount": {"type": "number", "title": "金额"},
        "flag": {"type": "boolean", "title": "是否涉外"},
        "kind": {"type": "string", "title": "类别", "enum": ["甲", "乙"]},
        "tags": {"type": "array", "title": "标签", "items": {"type": "string"}},
    },
}


def element(html: str, name: str) -> str:
    """The opening tag of the input, select or textarea named ``name``."""
    match = re.search(rf'<(input|select|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no control named {name}"
    return match.group(0)


def test_each_type_gets_its_widget() -> None:
    html = formrender.render_form(SCHEMA)
    assert 'type="text"' in element(html, "name") and 'maxlength="50"' in element(html, "name")
    assert element(html, "notes").startswith("<textarea")
    assert element(html, "long_text").startswith("<textarea")
    assert 'type="date"' in element(html, "day")
    assert 'type="number"' in element(html, "count") and 'step="1"' in element(html, "count")
    assert 'min="0"' in element(html, "count")
    assert 'step="any"' in element(html, "amount")
    assert 'type="checkbox"' in element(html, "flag") and "是</label>" in html
    assert element(html, "kind").startswith("<select") and '<option value="乙">乙</option>' in html


def test_required_fields_are_starred_and_descriptions_shown() -> None:
    html = formrender.render_form(SCHEMA)
    name_field = html[html.index('for="f-name"'):html.index('name="name"')]
    assert 'class="req"' in name_field
    amount_field = html[html.index('for="f-amount"'):html.index('name="amount"')]
    assert 'class="req"' not in amount_field
    assert '<p class="field-hint">填写全称</p>' in html
    assert "required" in element(html, "name") and "required" not in element(html, "amount")


def test_values_are_prefilled_and_escaped() -> None:
    html = formrender.render_form(SCHEMA, {"name": '<script>"x"</script>', "count": 3, "amount": 80000.0,
                                           "flag": True, "kind": "乙", "notes": "第一行\n第二行"})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'value="3"' in element(html, "count")
    assert 'value="80000"' in element(html, "amount")
    assert "checked" in element(html, "flag")
    assert '<option value="乙" selected>' in html
    assert ">第一行\n第二行</textarea>" in html


def test_errors_appear_next_to_their_fields() -> None:
    html = formrender.render_form(PLAN, {"key_tasks": [{"name": ""}]},
                                  {"plan_year": "必填", "key_tasks.0.category": "请从给定选项中选择"})
    year = html[:html.index("</div>", html.index('name="plan_year"'))]
    assert 'class="field has-error"' in year and '<p class="field-error" id="e-plan_year">必填</p>' in year
    assert 'aria-invalid="true"' in element(html, "key_tasks-0-category")
    assert 'id="e-key_tasks-0-category">请从给定选项中选择</p>' in html


def test_an_array_of_objects_is_an_editable_table_with_a_row_template() -> None:
    rows = [{"category": "科普", "name": "科普周"}, {"category": "党建", "name": "主题党日", "foreign": True}]
    html = formrender.render_form(PLAN, {"key_tasks": rows})
    assert 'data-subtable="key_tasks"' in html
    assert 'value="科普周"' in element(html, "key_tasks-0-name")
    assert "checked" in element(html, "key_tasks-1-foreign")
    assert 'name="key_tasks-__index__-name"' in html.split("<template data-row-template>")[1]
    assert "添加一行" in html and "删除" in html
    assert "<th scope=\"col\">事项名称<span class=\"req\"" in html


def test_an_empty_table_offers_one_blank_row() -> None:
    html = formrender.render_form(PLAN)
    body = html.split("<tbody data-rows>")[1].split("</tbody>")[0]
    assert body.count("<tr data-row>") == 1 and 'name="key_tasks-0-name"' in body


def test_parsing_types_values_per_schema() -> None:
    form = MultiDict({"name": "  学会  ", "notes": "一\r\n二", "day": "2027-01-05", "count": "12",
                      "amount": "1234.5", "flag": "1", "kind": "甲", "tags": "甲\n\n乙\n"})
    assert formrender.parse_form(SCHEMA, form) == {
        "name": "学会", "notes": "一\n二", "day": "2027-01-05", "count": 12, "amount": 1234.5, "flag": True,
        "kind": "甲", "tags": ["甲", "乙"]}


def test_empty_optional_fields_are_left_out_and_unchecked_boxes_are_false() -> None:
    form = MultiDict({"name": "x", "count": "1", "notes": "  ", "amount": "", "kind": "", "day": ""})
    assert formrender.parse_form(SCHEMA, form) == {"name": "x", "count": 1, "flag": False}


@pytest.mark.parametrize("field,raw", [("count", "abc"), ("count", "3.5"), ("count", "1_000"),
                                       ("amount", "nan"), ("amount", "1e999"), ("amount", "12,5")])
def test_unparsable_numbers_stay_text_so_validation_reports_them(field: str, raw: str) -> None:
    data = formrender.parse_form(SCHEMA, MultiDict({"name": "x", "count": "1", field: raw}))
    assert data[field] == raw
    errors = forms.validate_data(SCHEMA, data)
    assert errors[field].startswith("格式不正确")


def test_table_rows_are_reindexed_and_empty_rows_dropped() -> None:
    form = MultiDict({
        "key_tasks-0-category": "", "key_tasks-0-name": " ", "key_tasks-0-budget": "",
        "key_tasks-3-category": "科普", "key_tasks-3-name": "科普周", "key_tasks-3-month": "5",
        "key_tasks-10-name": "年会", "key_tasks-10-budget": "80000", "key_tasks-10-foreign": "1",
        "key_tasks-x-name": "ignored",
    })
    assert formrender.parse_form(PLAN, form)["key_tasks"] == [
        {"category": "科普", "name": "科普周", "month": 5, "foreign": False, "major_matter": False},
        {"name": "年会", "budget": 80000, "foreign": True, "major_matter": False},
    ]


def test_a_table_without_filled_rows_is_missing_so_required_reports_it() -> None:
    data = formrender.parse_form(PLAN, MultiDict({"key_tasks-0-name": ""}))
    assert "key_tasks" not in data
    assert forms.validate_data(PLAN, data)["key_tasks"] == "必填"


def test_parse_then_render_keeps_what_the_user_typed() -> None:
    form = MultiDict({"plan_year": "二〇二七", "key_tasks-4-name": "年会", "key_tasks-4-month": "十月"})
    data = formrender.parse_form(PLAN, form)
    errors = forms.validate_data(PLAN, data)
    html = formrender.render_form(PLAN, data, errors)
    assert 'value="二〇二七"' in element(html, "plan_year")
    assert 'value="十月"' in element(html, "key_tasks-0-month")
    assert 'id="e-key_tasks-0-month">格式不正确（应为整数）</p>' in html
    assert 'id="e-key_tasks-0-category">必填</p>' in html


def test_readonly_shows_titles_booleans_and_the_detail_table() -> None:
    html = formrender.render_readonly(PLAN, {"plan_year": 2027, "income_total": 500000.0, "remarks": "<b>注</b>",
                                             "key_tasks": [{"name": "年会", "foreign": True, "budget": 80000}],
                                             "not_in_form": "hidden"})
    assert "<dt>计划年度</dt>" in html and "2027" in html
    assert "500,000" in html
    assert "&lt;b&gt;注&lt;/b&gt;" in html
    assert "<th>事项名称</th>" in html and "<td data-label=" in html and "年会" in html and "是" in html
    assert "hidden" not in html and "党建工作计划" not in html


def test_readonly_without_a_schema_uses_the_keys() -> None:
    assert "<dt>x</dt>" in formrender.render_readonly(None, {"x": False}) and "否" in \
        formrender.render_readonly(None, {"x": False})
    assert "未填写" in formrender.render_readonly(PLAN, {})


def test_error_summary_names_fields_in_chinese() -> None:
    errors = {"comment": "请填写", "THRESHOLD": "表单中没有这个字段", "key_tasks.10.name": "必填",
              "key_tasks.2.month": "不能大于 12", "plan_year": "必填"}
    assert formrender.error_summary(PLAN, errors, {"comment": "审批意见"}) == [
        ("计划年度", "必填"), ("重点工作清单 第 3 行 · 计划时间（月）", "不能大于 12"),
        ("重点工作清单 第 11 行 · 事项名称", "必填"), ("审批意见", "请填写"), ("THRESHOLD", "表单中没有这个字段")]
