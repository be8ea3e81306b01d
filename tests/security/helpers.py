"""Helpers shared by the security and CLI tests: running ``baguan`` in-process and dumping a database."""
from __future__ import annotations

import re
from typing import Any

from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.db import Base
from engine.journal import AuditEvent
from engine.runtime.models import ProcessDefinition
from webapp import create_app
from webapp.cli import cli


def run_cli(db_url: str, *args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:
    """Invoke ``baguan ARGS`` the way a shell would, against ``db_url``, without catching exceptions."""
    environment: dict[str, str | None] = {"BAGUAN_DATABASE_URL": db_url, "BAGUAN_ENV": "testing",
                                          "BAGUAN_SECRET_KEY": None}
    environment.update(env or {})
    return CliRunner().invoke(cli, list(args), input=input, env=environment, catch_exceptions=False)


def assert_clean_failure(result: Result) -> str:
    """A failed command: non-zero exit, one line on stderr, no traceback anywhere; returns that line."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def stored_counts(session: Session) -> tuple[int, int]:
    """(process definitions, audit events): what a refused deploy must leave unchanged."""
    definitions = session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0
    events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return definitions, events


def database_text(session: Session) -> str:
    """Every row of every Baguan table as text, to prove a secret never reached the database."""
    rows: list[Any] = []
    for table in Base.metadata.sorted_tables:
        rows.extend(session.execute(text(f'SELECT * FROM "{table.name}"')).all())
    return repr(rows)



def csrf_client(db_url: str) -> FlaskClient:
    """A client of an app with CSRF protection on, as in production."""
    app = create_app({"DATABASE_URL": db_url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789",
                      "WTF_CSRF_ENABLED": True}, environ={"BAGUAN_ENV": "testing"})
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)
