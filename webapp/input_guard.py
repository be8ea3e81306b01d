"""Request-wide input guards: NUL characters in any query or form value, and route ids beyond the database range.

A NUL character is never meaningful in Baguan's input and PostgreSQL refuses it in text, so one hook answers
400 for any request that carries one, before a view runs. Integer route segments are bounded by the
database's integer range: a larger id cannot exist, so the answer is a 404.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from engine.errors import BadRequest

MAX_ROUTE_ID = 2**31 - 1
NUL_MESSAGE = "请求中含有不允许的控制字符（NUL），请删除后重试"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to the database integer range: an oversized id cannot exist, so it is a 404 (raised
    here, once the path has matched, so that werkzeug does not mistake it for another method's route)."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ROUTE_ID:
            raise IdOutOfRange()
        return number


class IdOutOfRange(NotFound):
    """A route id no row can have; answered like any object that does not exist (``not_found``)."""

    description = "对象不存在或您无权访问"


def _has_nul(values: Iterable[Any]) -> bool:
    return any(isinstance(value, str) and "\x00" in value for value in values)


def refuse_nul() -> None:
    """Before every request: a NUL in a query or form value (or name) is a 400. (A NUL in a path segment names
    an object that cannot exist: the views answer 404.)"""
    pairs = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if _has_nul(name for name, _ in pairs) or _has_nul(value for _, value in pairs):
        raise BadRequest(NUL_MESSAGE)


def install_converters(app: Flask) -> None:
    """Call before registering blueprints: rules pick their converters when they are added."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_input_guards(app: Flask) -> None:
    app.before_request(refuse_nul)
