"""The OpenAPI document: structurally sound, and describing exactly the routes the app serves.

(The other API tests validate every response they receive against the document's schemas.)
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from webapp import create_app
from webapp.api.openapi import document

from ..conftest import ANNUAL_PLAN

DOC = document()
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PUBLIC_OPERATIONS = {"getOpenApi"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('openapi')) / 'unused.sqlite3'}"
    return create_app({"DATABASE_URL": url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789"},
                      environ={"BAGUAN_ENV": "testing"})


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def served_routes(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every API rule: /api/v1/cases/<int:case_id> → /cases/{case_id}."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m.lower()) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return routes


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = DOC
    for part in pointer[2:].split("/"):
        node = node[part]
    return node


def test_the_document_lists_exactly_the_served_routes(app: Flask) -> None:
    documented = {(path, method) for path, method, _ in operations()}
    assert documented == served_routes(app)
    assert len(documented) == 34


def test_the_document_is_served_without_a_token(app: Flask) -> None:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json() == DOC


def test_document_header() -> None:
    assert DOC["openapi"] == "3.1.0" and DOC["info"]["title"] and DOC["info"]["version"]
    assert DOC["servers"] == [{"url": "/api/v1"}]
    assert DOC["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert DOC["security"] == [{"bearerAuth": []}]
    assert all(item.keys() <= METHODS for item in DOC["paths"].values())


def test_every_reference_resolves() -> None:
    found = set(refs(DOC))
    assert "#/components/schemas/Case" in found
    for pointer in found:
        assert isinstance(resolve(pointer), dict), pointer


def test_every_schema_is_valid_json_schema() -> None:
    for name, schema in DOC["components"]["schemas"].items():
        Draft202012Validator.check_schema({**schema, "$id": f"urn:schema:{name}"})
    for _, _, operation in operations():
        for parameter in operation.get("parameters", []):
            Draft202012Validator.check_schema(parameter["schema"])


def test_operations_are_complete() -> None:
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations():
        assert operation["summary"] and operation["responses"], (path, method)
        statuses = set(operation["responses"])
        assert all(re.fullmatch(r"[1-5][0-9][0-9]", s) for s in statuses)
        assert any(s.startswith("2") for s in statuses)
        if operation["operationId"] not in PUBLIC_OPERATIONS:
            assert "security" not in operation and "401" in statuses, (path, method)
        if method == "post":
            assert operation["requestBody"]["required"] and {"400", "413", "422"} <= statuses
        for status, response in operation["responses"].items():
            response = resolve(response["$ref"]) if "$ref" in response else response
            assert response["description"] and "application/json" in response["content"]
            if not status.startswith("2"):
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_path_parameters_match_the_templates() -> None:
    for path, method, operation in operations():
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{([a-z_]+)}", path)), (path, method)
        assert all(p["required"] for p in operation.get("parameters", []) if p["in"] == "path")


def request_validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({**DOC["components"]["schemas"][name], "components": DOC["components"]})


def test_request_schemas_accept_real_requests_and_refuse_wrong_ones() -> None:
    start = request_validator("StartCaseRequest")
    assert start.is_valid({"process": "annual_plan", "org": "XH", "title": "计划", "data": ANNUAL_PLAN})
    assert not start.is_valid({"process": "annual_plan", "org": "XH", "title": "计划"})
    assert not start.is_valid({"process": "annual_plan", "org": "XH", "title": "计划", "data": {}, "extra": 1})
    complete = request_validator("CompleteTaskRequest")
    assert complete.is_valid({"decision": "approve"})
    assert complete.is_valid({"decision": "return", "comment": "请修改", "data": None})
    assert not complete.is_valid({"decision": "approve", "data": []})
    assert not complete.is_valid({"comment": "同意"})


def test_error_schema_matches_the_error_handler_shape() -> None:
    error = request_validator("Error")
    assert error.is_valid({"error": {"code": "invalid_data", "message": "表单填写有误", "fields": {"plan_year": "必填"}}})
    assert not error.is_valid({"error": {"message": "缺少 code"}})
    assert not error.is_valid({"code": "not_found", "message": "不在 error 之下"})
