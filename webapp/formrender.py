"""JSON Schema object forms as HTML fields, submitted HTML forms back into typed data, and read-only display.

Input names follow the data paths: ``plan_year``, ``contact-phone`` for a nested object, ``key_tasks-0-name``
for a cell of a 明细子表. Field names never contain ``-`` (forms/__init__.py), so names cannot collide.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping

from markupsafe import Markup, escape

import forms as form_lib

Schema = Mapping[str, Any]
MISSING = object()
TEXTAREA_LENGTH = 200
ROW_PLACEHOLDER = "__index__"
INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def properties(schema: Schema | None) -> dict[str, Any]:
    return dict((schema or {}).get("properties") or {})


def required_names(schema: Schema | None) -> set[str]:
    return set((schema or {}).get("required") or [])


def field_type(prop: Schema) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def is_table(prop: Schema) -> bool:
    items = prop.get("items")
    return field_type(prop) == "array" and isinstance(items, dict) and field_type(items) == "object"


def widget(prop: Schema) -> str:
    """One of text, textarea, date, number, checkbox, select, lines, table, group."""
    kind = field_type(prop)
    if kind == "array":
        return "table" if is_table(prop) else "lines"
    if kind == "object":
        return "group"
    if "enum" in prop:
        return "select"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    if prop.get("format") == "date":
        return "date"
    if prop.get("x-widget") == "textarea" or int(prop.get("maxLength") or 0) > TEXTAREA_LENGTH:
        return "textarea"
    return "text"


def input_name(path: str) -> str:
    """The input name of a validation error path: ``key_tasks.0.name`` → ``key_tasks-0-name``."""
    return path.replace(".", "-")


# ---- rendering editable fields -------------------------------------------------------------------------

def render_form(schema: Schema | None, values: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None, prefix: str = "") -> Markup:
    """Every field of an object schema, prefilled with ``values``, with ``errors`` (by data path) beside them."""
    values = values if isinstance(values, Mapping) else {}
    by_name = {input_name(k): v for k, v in (errors or {}).items()}
    required = required_names(schema)
    return Markup("").join(
        render_field(f"{prefix}{name}", prop, values.get(name), by_name, name in required)
        for name, prop in properties(schema).items())


def render_field(name: str, prop: Schema, value: Any, errors: Mapping[str, str], required: bool) -> Markup:
    kind = widget(prop)
    if kind == "table":
        return _table(name, prop, value, errors, required)
    if kind == "group":
        inner = render_form(prop, value, {}, prefix=f"{name}-")
        return _fieldset(name, prop, inner, errors.get(name), required, "group")
    label_for = "" if kind == "checkbox" else f"f-{name}"
    control = control_html(name, prop, value, required, error=name in errors)
    wide = kind in ("textarea", "lines")
    return _wrap(name, prop, control, errors.get(name), required, label_for, wide)


def control_html(name: str, prop: Schema, value: Any, required: bool, error: bool = False,
                 aria_label: str | None = None) -> Markup:
    """The bare input element(s) for one scalar field."""
    kind = widget(prop)
    common = {"id": f"f-{name}", "name": name, "aria-label": aria_label,
              "aria-invalid": "true" if error else None, "aria-describedby": f"e-{name}" if error else None}
    if kind == "checkbox":
        box = _tag("input", type="checkbox", value="1", checked=value is True, **common)
        return Markup('<label class="check">{} 是</label>').format(box)
    if kind == "select":
        return _select(prop, value, required, common)
    if kind in ("textarea", "lines"):
        text = "\n".join(map(display_text, value)) if kind == "lines" and isinstance(value, list) else value
        attrs = _tag_attrs(rows=6 if kind == "lines" or prop.get("x-widget") else 4, required=required,
                           maxlength=prop.get("maxLength") if kind == "textarea" else None, **common)
        return Markup("<textarea{}>{}</textarea>").format(attrs, "" if text is None else display_text(text))
    if kind == "text" and prop.get("x-caseRef"):
        common["list"] = f"dl-{name}"
    return _tag("input", required=required, value=None if value is None else display_text(value),
                **_input_type_attrs(prop, kind), **common)


def reference_lists(choices: Mapping[str, Iterable[tuple[str, str]]]) -> Markup:
    """A ``<datalist>`` per ``x-caseRef`` field: the completed cases it may name (number, with a label)."""
    return Markup("").join(
        Markup('<datalist id="dl-{}">{}</datalist>').format(name, Markup("").join(
            Markup('<option value="{}">{}</option>').format(number, label) for number, label in options))
        for name, options in choices.items())


def _input_type_attrs(prop: Schema, kind: str) -> dict[str, Any]:
    if kind == "number":
        step = "1" if field_type(prop) == "integer" else "any"
        return {"type": "number", "step": step, "min": prop.get("minimum"), "max": prop.get("maximum"),
                "inputmode": "numeric" if step == "1" else "decimal"}
    if kind == "date":
        return {"type": "date"}
    return {"type": "text", "maxlength": prop.get("maxLength"), "autocomplete": "off"}


def _select(prop: Schema, value: Any, required: bool, common: dict[str, Any]) -> Markup:
    chosen = None if value is None else display_text(value)
    options = [Markup('<option value="">请选择</option>')]
    options += [Markup("<option{}>{}</option>").format(
        _tag_attrs(value=display_text(item), selected=display_text(item) == chosen), display_text(item))
        for item in prop.get("enum", [])]
    return Markup("<select{}>{}</select>").format(_tag_attrs(required=required, **common), Markup("").join(options))


def _wrap(name: str, prop: Schema, control: Markup, error: str | None, required: bool, label_for: str,
          wide: bool) -> Markup:
    classes = " ".join(c for c in ("field", "field-wide" if wide else "", "has-error" if error else "") if c)
    label = Markup("<label class=\"field-label\"{}>{}{}</label>").format(
        _tag_attrs(for_=label_for or None), prop.get("title", name), _star(required))
    return Markup('<div class="{}">{}{}{}{}</div>').format(classes, label, control, _hint(prop),
                                                         _error(name, error))


def _fieldset(name: str, prop: Schema, inner: Markup, error: str | None, required: bool, kind: str) -> Markup:
    classes = f"field field-wide fieldset-{kind}" + (" has-error" if error else "")
    attrs = _tag_attrs(class_=classes, data_subtable=name if kind == "table" else None)
    return Markup('<fieldset{}><legend class="field-label">{}{}</legend>{}{}{}</fieldset>').format(
        attrs, prop.get("title", name), _star(required), _hint(prop), inner, _error(name, error))


def _table(name: str, prop: Schema, value: Any, errors: Mapping[str, str], required: bool) -> Markup:
    item = prop["items"]
    columns = properties(item)
    needed = required_names(item)
    rows = [r if isinstance(r, Mapping) else {} for r in value] if isinstance(value, list) and value else [{}]
    head = Markup("").join(Markup("<th scope=\"col\">{}{}</th>").format(p.get("title", c), _star(c in needed))
                           for c, p in columns.items())
    body = Markup("").join(_row(name, str(i), columns, row, errors) for i, row in enumerate(rows))
    template = _row(name, ROW_PLACEHOLDER, columns, {}, {})
    table = Markup(
        '<div class="table-scroll"><table class="subtable"><thead><tr>{}<th class="row-actions">操作</th></tr>'
        '</thead><tbody data-rows>{}</tbody></table></div><template data-row-template>{}</template>'
        '<button type="button" class="btn btn-ghost btn-small" data-add-row>＋ 添加一行</button>').format(
        head, body, template)
    return _fieldset(name, prop, table, errors.get(name), required, "table")


def _row(name: str, index: str, columns: Mapping[str, Any], row: Mapping[str, Any],
         errors: Mapping[str, str]) -> Markup:
    cells = []
    for column, prop in columns.items():
        cell = f"{name}-{index}-{column}"
        control = control_html(cell, prop, row.get(column), False, cell in errors, aria_label=prop.get("title"))
        cells.append(Markup("<td{}>{}{}</td>").format(
            _tag_attrs(class_="has-error" if cell in errors else None), control, _error(cell, errors.get(cell))))
    remove = Markup('<td class="row-actions"><button type="button" class="btn-text danger" data-remove-row>'
                    '删除</button></td>')
    return Markup("<tr data-row>{}{}</tr>").format(Markup("").join(cells), remove)


def _star(required: bool) -> Markup:
    return Markup('<span class="req" title="必填">*</span>') if required else Markup("")


def _hint(prop: Schema) -> Markup:
    text = form_lib.format_hint(prop)
    return Markup('<p class="field-hint">{}</p>').format(text) if text else Markup("")


def _error(name: str, message: str | None) -> Markup:
    return Markup('<p class="field-error" id="e-{}">{}</p>').format(name, message) if message else Markup("")


def _tag(tag: str, **attrs: Any) -> Markup:
    return Markup("<{}{}>").format(Markup(tag), _tag_attrs(**attrs))


def _tag_attrs(**attrs: Any) -> Markup:
    """`` key="value"`` pairs: True is a bare attribute; None and False are left out; ``for_`` is ``for`` and
    ``data_x`` is ``data-x``."""
    parts = []
    for key, value in attrs.items():
        key = key.rstrip("_").replace("_", "-")
        if value is None or value is False:
            continue
        parts.append(Markup(" {}").format(key) if value is True else Markup(' {}="{}"').format(key, value))
    return Markup("").join(parts)


def display_text(value: Any) -> str:
    """A scalar as the user typed it: 80000.0 → ``80000``."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- parsing submitted forms ---------------------------------------------------------------------------

def parse_form(schema: Schema | None, form: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    """Typed data for ``schema`` from submitted fields. Empty optional fields are left out; text that is not a
    number stays text, so validation answers with a Chinese type error instead of losing what was typed."""
    data: dict[str, Any] = {}
    for name, prop in properties(schema).items():
        value = parse_field(f"{prefix}{name}", prop, form)
        if value is not MISSING:
            data[name] = value
    return data


def parse_field(name: str, prop: Schema, form: Mapping[str, str]) -> Any:
    kind = widget(prop)
    if kind == "table":
        return _parse_rows(name, prop["items"], form) or MISSING
    if kind == "group":
        return parse_form(prop, form, prefix=f"{name}-") or MISSING
    if kind == "checkbox":
        return (form.get(name) or "").strip().lower() in ("1", "on", "true", "yes", "是")
    if kind == "lines":
        return _parse_lines(prop.get("items") or {}, form.get(name) or "") or MISSING
    text = _clean_text(form.get(name) or "", multiline=kind == "textarea")
    return convert(prop, text) if text else MISSING


def convert(prop: Schema, text: str) -> Any:
    kind = field_type(prop)
    if kind == "integer" and INTEGER_TEXT.match(text):
        return int(text)
    if kind == "number" and NUMBER_TEXT.match(text):
        number = int(text) if INTEGER_TEXT.match(text) else float(text)
        return number if math.isfinite(number) else text
    return text


def _clean_text(raw: str, multiline: bool) -> str:
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    return text if multiline else " ".join(text.split("\n"))


def _parse_lines(item: Schema, raw: str) -> list[Any]:
    return [convert(item, line.strip()) for line in raw.splitlines() if line.strip()]


def _parse_rows(name: str, item: Schema, form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rows of a 明细子表, in index order, re-indexed from 0; rows left entirely empty are dropped."""
    rows = [parse_form(item, form, prefix=f"{name}-{index}-") for index in row_indices(name, form.keys())]
    return [row for row in rows if any(value is not False for value in row.values())]


def row_indices(name: str, keys: Iterable[str]) -> list[int]:
    pattern = re.compile(rf"^{re.escape(name)}-(\d{{1,6}})-[A-Za-z]")
    return sorted({int(match.group(1)) for key in keys if (match := pattern.match(key))})


# ---- read-only display ---------------------------------------------------------------------------------

def render_readonly(schema: Schema | None, data: Mapping[str, Any] | None) -> Markup:
    """The filled-in fields of ``data`` as a description list, titled from ``schema`` (keys when it has none)."""
    data = data if isinstance(data, Mapping) else {}
    fields = properties(schema) or {key: {"title": key} for key in data}
    items = [_readonly_item(name, prop, data[name]) for name, prop in fields.items() if name in data]
    if not items:
        return Markup('<p class="muted">（未填写内容）</p>')
    return Markup('<dl class="data-list">{}</dl>').format(Markup("").join(items))


def _readonly_item(name: str, prop: Schema, value: Any) -> Markup:
    wide = widget(prop) in ("table", "textarea", "group") or isinstance(value, (list, dict))
    return Markup('<div class="data-item{}"><dt>{}</dt><dd>{}</dd></div>').format(
        " data-item-wide" if wide else "", prop.get("title", name), render_value(prop, value))


def render_value(prop: Schema | None, value: Any) -> Markup:
    """One value for reading: 是/否, a table for 明细子表 rows, grouped digits for amounts."""
    prop = prop or {}
    if value is None or value == "" or value == []:
        return Markup('<span class="muted">（空）</span>')
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        return _readonly_table(prop.get("items") or {}, value)
    if isinstance(value, list):
        return Markup("、").join(display_text(v) for v in value)
    if isinstance(value, Mapping):
        return render_readonly(prop if properties(prop) else None, value)
    if field_type(prop) == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return escape(format(int(value) if float(value).is_integer() else value, ","))
    return Markup('<span class="text">{}</span>').format(display_text(value))


def _readonly_table(item: Schema, rows: list[Mapping[str, Any]]) -> Markup:
    columns = properties(item) or {key: {"title": key} for row in rows for key in row}
    head = Markup("").join(Markup("<th>{}</th>").format(p.get("title", c)) for c, p in columns.items())
    body = Markup("").join(
        Markup("<tr><td class=\"row-no\" data-label=\"第 {} 行\">{}</td>{}</tr>").format(i + 1, i + 1, Markup("").join(
            Markup("<td data-label=\"{}\">{}</td>").format(p.get("title", c), render_value(p, row.get(c)) if c in row else "")
            for c, p in columns.items()))
        for i, row in enumerate(rows))
    return Markup('<div class="table-scroll"><table class="subtable subtable-readonly"><thead><tr><th>序号</th>{}'
                  '</tr></thead><tbody>{}</tbody></table></div>').format(head, body)


# ---- error summaries -----------------------------------------------------------------------------------

def field_title(schema: Schema | None, path: str, extra: Mapping[str, str] | None = None) -> str:
    """``key_tasks.0.name`` → ``重点工作清单 第 1 行 · 事项名称``."""
    if extra and path in extra:
        return extra[path]
    parts, node, titles = path.split("."), schema or {}, []
    for part in parts:
        if part.isdigit():
            titles.append(f"第 {int(part) + 1} 行")
            node = node.get("items") or {}
            continue
        node = properties(node).get(part) or {}
        titles.append(str(node.get("title") or ("表单" if part == "_" else part)))
    return " · ".join(titles).replace(" · 第", " 第")


def _numeric_path(path: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (-1, part) for part in path.split(".")]


def error_summary(schema: Schema | None, errors: Mapping[str, str] | None,
                  extra: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(中文字段名, 错误)`` pairs in form order: the schema's fields, then ``extra`` ones, then any others."""
    order = {name: i for i, name in enumerate([*properties(schema), *(extra or {})])}
    paths = sorted(errors or {}, key=lambda p: (order.get(p.split(".")[0], len(order)), _numeric_path(p)))
    return [(field_title(schema, path, extra), (errors or {})[path]) for path in paths]
