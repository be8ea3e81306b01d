"""Format hints on pattern-validated fields: shown under the input and named in the refusal."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

import forms

from .helpers import page, plan_form


def test_every_pattern_field_of_the_library_carries_a_hint() -> None:
    library = forms.load_forms()
    bare = [f"{key}.{name}" for key, schema in library.items()
            for name, prop in schema.get("properties", {}).items()
            if "pattern" in prop and not forms.format_hint(prop)]
    assert bare == []


def test_a_refused_pattern_names_the_expected_format() -> None:
    schema = forms.load_forms()["annual_plan"]
    errors = forms.validate_data(schema, {"contact_phone": "call me"})
    assert errors["contact_phone"].startswith("格式不正确：请填写手机号或带区号的座机号")


def test_a_hint_must_be_short_text() -> None:
    schema = {"type": "object", "properties": {"phone": {"type": "string", "title": "电话", "x-hint": 12}}}
    with pytest.raises(forms.FormError):
        forms.check_form_schema("bad_hint", schema)


def test_the_start_form_shows_the_hint_and_the_error_names_it(login: Callable[[str], FlaskClient],
                                                               plan_data: dict[str, Any]) -> None:
    client = login("xh_staff")
    assert "请填写手机号或带区号的座机号" in page(client.get("/start/annual_plan"))
    response = client.post("/start/annual_plan", data=plan_form({**plan_data, "contact_phone": "电话：一二三"}))
    assert response.status_code == 422
    assert "格式不正确：请填写手机号或带区号的座机号" in page(response)
