"""The API client of tests/api (every response checked against the OpenAPI document), for these tests too."""
from __future__ import annotations

from typing import Callable

import pytest
from flask.testing import FlaskClient

from ..api.conftest import Api


@pytest.fixture
def api(client: FlaskClient, tokens: Callable[[str], dict[str, str]]) -> Api:
    return Api(client, tokens)
