"""An API client for the tests that checks every response against the OpenAPI document it claims to follow."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from webapp.api.openapi import document

PREFIX = "/api/v1"
DOC = document()


def response_schema(template: str, method: str, status: int) -> dict[str, Any]:
    """The documented schema of a response; fails the test when the status is not documented."""
    responses = DOC["paths"][template][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {template} answered {status}, which is not documented"
    response = responses[str(status)]
    if "$ref" in response:
        response = DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def assert_documented(template: str, method: str, response: TestResponse) -> None:
    schema = {**response_schema(template, method, response.status_code), "components": DOC["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(response.get_json()), key=str)
    assert not errors, f"{method.upper()} {template} {response.status_code}: {[e.message for e in errors][:5]}"


class Api:
    """``api.get("xh_sg", "/cases/{case_id}", case_id=1)``: call as a user, check against the document."""

    def __init__(self, client: FlaskClient, tokens: Callable[[str], dict[str, str]]) -> None:
        self.client, self.tokens = client, tokens

    def call(self, method: str, username: str | None, template: str, *, query: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        path_params = {k: kwargs.pop(k) for k in list(kwargs) if "{" + k + "}" in template}
        all_headers = {**(self.tokens(username) if username else {}), **(headers or {})}
        response = self.client.open(PREFIX + template.format(**path_params), method=method.upper(),
                                    query_string=query, headers=all_headers, **kwargs)
        assert response.is_json, response.get_data(as_text=True)[:300]
        assert_documented(template, method, response)
        return response

    def get(self, username: str | None, template: str, **kwargs: Any) -> TestResponse:
        return self.call("get", username, template, **kwargs)

    def post(self, username: str | None, template: str, **kwargs: Any) -> TestResponse:
        return self.call("post", username, template, **kwargs)


@pytest.fixture
def api(client: FlaskClient, tokens: Callable[[str], dict[str, str]]) -> Api:
    return Api(client, tokens)
