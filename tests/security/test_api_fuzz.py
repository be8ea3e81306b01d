"""The JSON API fuzzed from its own OpenAPI document with Schemathesis (issue 11, 6): for every documented
operation, seeded and bounded examples of valid and invalid input, sent through WSGI with a real bearer token.
The check: never a 5xx, and every response (status, content type, body) conforms to the document."""
from __future__ import annotations

from typing import Any, Callable

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ..conftest import World
from ..review.helpers import start

EXAMPLES_PER_OPERATION = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)
    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_the_api_answers_every_generated_request_as_documented(mode: GenerationMode, app: Flask, world: World,
                                                               plan_data: dict[str, Any],
                                                               tokens: Callable[[str], dict[str, str]]) -> None:
    start(world, plan_data)
    headers = tokens("xh_sg")
    operations = _operations(app)
    assert len(operations) >= 25
    for operation in operations:
        _fuzz(operation, mode, headers)
