"""Shared fixtures: every database test runs on SQLite and, when reachable, on PostgreSQL.

Each test gets a fresh database: a temporary SQLite file, or a schema of its own on PostgreSQL.
"""
from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

import engine.models  # noqa: F401  (every table on Base.metadata)
from engine.bootstrap import start as start_engine
from engine.db import Base, make_engine, make_session_factory
from engine.identity import accounts as identity
from engine.identity.models import Membership, Organisation, User
from engine.journal import install_pg_guards
from engine.runtime import deploy as deployment
from webapp import create_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BAGUAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("BAGUAN_TEST_REQUIRE_PG", "").lower() in ("1", "true", "yes")
TEST_PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = identity.hash_password(TEST_PASSWORD)


def _pg_reachable() -> str | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).splitlines()[0]


PG_PROBLEM = _pg_reachable()
_pg_runs = {"count": 0}


def pytest_configure(config: pytest.Config) -> None:
    start_engine()
    if REQUIRE_PG and PG_PROBLEM:
        raise pytest.UsageError(f"PostgreSQL is required (BAGUAN_TEST_REQUIRE_PG) but not reachable: {PG_PROBLEM}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if PG_PROBLEM:
        terminalreporter.write_line(f"PostgreSQL NOT reachable at {PG_URL} ({PG_PROBLEM}): "
                                    "database tests ran on SQLite only", yellow=True)
    else:
        terminalreporter.write_line(f"PostgreSQL reachable at {PG_URL}: {_pg_runs['count']} test(s) ran on it too",
                                    green=True)


def pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'baguan.sqlite3'}"
        return
    if PG_PROBLEM:
        pytest.skip(f"PostgreSQL not reachable: {PG_PROBLEM}")
    _pg_runs["count"] += 1
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        install_pg_guards(connection)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@dataclass
class World:
    """The seeded organisations and users of a test, by username and code."""

    sessions: sessionmaker[Session]
    org_ids: dict[str, int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def user(self, session: Session, username: str) -> User:
        user = session.get(User, self.user_ids[username])
        assert user is not None
        return user

    def org(self, session: Session, code: str) -> Organisation:
        org = session.get(Organisation, self.org_ids[code])
        assert org is not None
        return org


SOCIETY_USERS = (("staff", "staff"), ("sg", "secretary_general"), ("party", "party_secretary"),
                 ("president", "president"), ("finance", "finance"), ("fa", "foreign_affairs"))
SUPERVISOR_USERS = (("cast", "cast_reviewer"), ("cast_party", "cast_party"), ("admin", "admin"), ("auditor", "auditor"))


def add_test_user(session: Session, username: str, roles: list[tuple[str, int]]) -> User:
    user = User(username=username, name=f"测试{username}", password_hash=_PASSWORD_HASH,
                session_token=secrets.token_hex(16))
    session.add(user)
    session.flush()
    for role, org_id in roles:
        session.add(Membership(user_id=user.id, org_id=org_id, role=role))
    session.flush()
    return user


def seed_world(sessions: sessionmaker[Session]) -> World:
    world = World(sessions)
    with sessions() as session, session.begin():
        tast = identity.add_org(session, "TAST", "天津市科学技术协会", "supervisor")
        world.org_ids["TAST"] = tast.id
        for code, name in (("XH", "天津市测试学会"), ("YH", "天津市另一学会")):
            world.org_ids[code] = identity.add_org(session, code, name, "society", "TAST").id
            for suffix, role in SOCIETY_USERS:
                username = f"{code.lower()}_{suffix}"
                world.user_ids[username] = add_test_user(session, username, [(role, world.org_ids[code])]).id
        for username, role in SUPERVISOR_USERS:
            world.user_ids[username] = add_test_user(session, username, [(role, tast.id)]).id
        deployment.deploy(session, *deployment.read_sources([PROJECT_ROOT / "workflows", PROJECT_ROOT / "forms"]))
    return world


@dataclass(frozen=True)
class WorldTemplate:
    """The seeded world with the whole process library deployed, built once per test session.

    Compiling the library takes seconds; each test copies these rows into its own database instead."""

    rows: dict[str, list[dict[str, Any]]]
    org_ids: dict[str, int]
    user_ids: dict[str, int]

    def copy_into(self, engine: Engine) -> None:
        with engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                if self.rows[table.name]:
                    connection.execute(insert(table), self.rows[table.name])
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)


def _reset_sequences(connection: Connection) -> None:
    for table in Base.metadata.sorted_tables:
        id_column = table.columns.get("id")
        if id_column is None or not id_column.autoincrement or not id_column.primary_key:
            continue
        name = connection.dialect.identifier_preparer.quote(table.name)
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> WorldTemplate:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('template') / 'world.sqlite3'}")
    Base.metadata.create_all(engine)
    seeded = seed_world(make_session_factory(engine))
    with engine.connect() as connection:
        rows = {table.name: [dict(row._mapping) for row in connection.execute(select(table))]
                for table in Base.metadata.sorted_tables}
    engine.dispose()
    return WorldTemplate(rows, dict(seeded.org_ids), dict(seeded.user_ids))


@pytest.fixture
def world(sessions: sessionmaker[Session], db_engine: Engine, world_template: WorldTemplate) -> World:
    world_template.copy_into(db_engine)
    return World(sessions, dict(world_template.org_ids), dict(world_template.user_ids))


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """Where the test's app keeps attachments (not yet created)."""
    return tmp_path / "uploads"


@pytest.fixture
def app(db_url: str, world: World, uploads: Path) -> Flask:
    return create_app({"DATABASE_URL": db_url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789",
                       "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": str(uploads)}, environ={"BAGUAN_ENV": "testing"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient) -> Callable[[str], FlaskClient]:
    def _login(username: str) -> FlaskClient:
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return _login


@pytest.fixture
def tokens(world: World) -> Callable[[str], dict[str, str]]:
    """Authorization headers for a seeded user (a real API token, created through the engine)."""
    cache: dict[str, str] = {}

    def _headers(username: str) -> dict[str, str]:
        if username not in cache:
            with world.sessions() as session, session.begin():
                cache[username] = identity.create_token(session, username)
        return {"Authorization": f"Bearer {cache[username]}"}
    return _headers


ANNUAL_PLAN = {
    "plan_year": 2027, "guiding_principles": "坚持正确政治方向，服务科技工作者。",
    "last_year_review": "完成学术年会等 12 项重点工作。",
    "key_tasks": [{"category": "学术交流", "name": "2027 学术年会", "month": 10, "budget": 80000}],
    "income_total": 500000, "expense_total": 480000, "party_building_plan": "开展主题党日活动 4 次。",
}


@pytest.fixture
def plan_data() -> dict[str, Any]:
    import copy
    return copy.deepcopy(ANNUAL_PLAN)
