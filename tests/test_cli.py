"""The ``baguan`` command line on both databases: idempotent set-up, deployment, users and roles, and
errors that are one line on stderr with a non-zero exit, never a traceback."""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from engine.db import Base, make_engine, make_session_factory
from engine.identity import accounts as identity
from engine.identity.models import Membership, User
from engine.journal import AuditEvent
from engine.runtime.models import ProcessDefinition
from webapp.demo import DEMO_PASSWORD, demo_logins

from .conftest import PROJECT_ROOT
from .security.helpers import assert_clean_failure, run_cli

PASSWORD = "a-long-enough-password"


@pytest.fixture
def migrated(db_url: str) -> str:
    """A database created by ``baguan init-db`` (Alembic), exactly as in production."""
    result = run_cli(db_url, "init-db")
    assert result.exit_code == 0, result.output
    return db_url


@pytest.fixture
def engine(migrated: str) -> Iterator[Engine]:
    engine = make_engine(migrated)
    yield engine
    engine.dispose()


def _users(engine: Engine) -> dict[str, set[tuple[str, str]]]:
    with make_session_factory(engine)() as session:
        return {u.username: {(m.role, m.org.code) for m in u.memberships} for u in session.scalars(select(User))}


def _count(engine: Engine, model: type) -> int:
    with make_session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- init-db and the migration -------------------------------------------------------------------------------

def test_init_db_is_idempotent(migrated: str) -> None:
    from alembic.script import ScriptDirectory

    from engine.runtime.schema import MIGRATIONS_DIR
    first = run_cli(migrated, "init-db")
    again = run_cli(migrated, "init-db")
    assert first.exit_code == again.exit_code == 0
    [head] = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert again.stdout.strip() == first.stdout.strip() == f"数据库已就绪（迁移版本 {head}）"


def test_the_migration_builds_exactly_the_models(engine: Engine) -> None:
    inspector = inspect(engine)
    expected = {t.name: t for t in Base.metadata.sorted_tables}
    assert set(inspector.get_table_names()) == set(expected) | {"alembic_version"}
    for name, table in expected.items():
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert set(columns) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, f"{name}.{column.name}"
            assert columns[column.name]["type"]._type_affinity == column.type._type_affinity, f"{name}.{column.name}"
        assert {i["name"] for i in inspector.get_indexes(name)} >= {i.name for i in table.indexes}
        foreign = {(tuple(f["constrained_columns"]), f["referred_table"]) for f in inspector.get_foreign_keys(name)}
        declared = table.foreign_key_constraints
        assert foreign == {(tuple(c.name for c in fk.columns), fk.referred_table.name) for fk in declared}
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


# --- deploy --------------------------------------------------------------------------------------------------

def test_deploy_prints_key_and_version_and_redeploy_is_unchanged(engine: Engine, migrated: str, tmp_path: Path) -> None:
    first = run_cli(migrated, "deploy")
    assert first.exit_code == 0, first.output
    assert "annual_plan\t版本 1\t新部署\t年度工作计划前置审查" in first.stdout.splitlines()
    *processes, holidays = first.stdout.splitlines()
    assert all("\t版本 1\t新部署\t" in line for line in processes)
    assert holidays == "已导入随附的节假日数据：2027 年，共 15 天"
    second = run_cli(migrated, "deploy")
    assert "annual_plan\t版本 1\t内容未变，保持现有版本\t年度工作计划前置审查" in second.stdout.splitlines()
    assert all("内容未变" in line for line in second.stdout.splitlines())
    source = (PROJECT_ROOT / "workflows" / "annual_plan.bpmn").read_text(encoding="utf-8")
    (tmp_path / "annual_plan.bpmn").write_text(source.replace("秘书长审核", "秘书长初审"), encoding="utf-8")
    third = run_cli(migrated, "deploy", str(tmp_path / "annual_plan.bpmn"))
    assert third.exit_code == 0, third.output
    assert third.stdout.startswith("annual_plan\t版本 2\t新部署")
    assert _count(engine, ProcessDefinition) == len(processes) + 1


def test_deploy_of_a_missing_path_or_empty_directory_fails_cleanly(migrated: str, tmp_path: Path) -> None:
    assert "路径不存在" in assert_clean_failure(run_cli(migrated, "deploy", str(tmp_path / "nope.bpmn")))
    assert "没有找到可执行的流程" in assert_clean_failure(run_cli(migrated, "deploy", str(tmp_path)))


def test_deploy_of_a_broken_form_fails_cleanly(migrated: str, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    assert "broken.json" in assert_clean_failure(run_cli(migrated, "deploy", str(tmp_path)))


def test_commands_before_init_db_fail_cleanly(db_url: str) -> None:
    assert "数据库操作失败" in assert_clean_failure(run_cli(db_url, "deploy"))
    assert "数据库操作失败" in assert_clean_failure(run_cli(db_url, "audit", "verify"))


# --- seed-demo -----------------------------------------------------------------------------------------------

def test_seed_demo_prints_logins_and_is_idempotent(engine: Engine, migrated: str) -> None:
    first = run_cli(migrated, "seed-demo")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0] == "已创建演示数据"
    assert DEMO_PASSWORD in first.stdout
    for login in demo_logins():
        assert login.username in first.stdout
    users = _users(engine)
    assert users["jx_sg"] == {("secretary_general", "JX")} and users["cast"] == {("cast_reviewer", "TAST")}
    events = _count(engine, AuditEvent)
    second = run_cli(migrated, "seed-demo")
    assert second.exit_code == 0
    assert second.stdout.splitlines()[0] == "演示数据已存在"
    logins = first.stdout[first.stdout.index("演示账号"):]
    assert second.stdout.splitlines()[1:] == logins.splitlines()
    assert _users(engine) == users and _count(engine, AuditEvent) == events
    with make_session_factory(engine)() as session:
        assert identity.verify_password(identity.get_user(session, "jx_staff"), DEMO_PASSWORD)


# --- org, user, role, token ----------------------------------------------------------------------------------

def _org_and_user(db_url: str) -> None:
    assert run_cli(db_url, "org", "add", "TAST", "天津市科协", "--kind", "supervisor").exit_code == 0
    assert run_cli(db_url, "org", "add", "XH", "天津市测试学会").stdout.strip() == "已创建组织 XH 天津市测试学会"
    added = run_cli(db_url, "user", "add", "li_ming", "--name", "李明", input=PASSWORD + "\n")
    assert (added.exit_code, added.stdout.strip()) == (0, "已创建用户 li_ming")


def test_org_user_role_and_token_set_up_a_working_account(engine: Engine, migrated: str) -> None:
    _org_and_user(migrated)
    granted = run_cli(migrated, "role", "grant", "li_ming", "secretary_general", "--org", "XH")
    assert (granted.exit_code, granted.stdout.strip()) == (0, "已授予 li_ming 在 XH 的角色 secretary_general")
    assert run_cli(migrated, "role", "grant", "li_ming", "auditor", "--org", "TAST").exit_code == 0
    assert _users(engine)["li_ming"] == {("secretary_general", "XH"), ("auditor", "TAST")}
    created = run_cli(migrated, "token", "create", "li_ming")
    assert created.exit_code == 0
    token = created.stdout.strip()
    with make_session_factory(engine)() as session:
        user = identity.get_user(session, "li_ming")
        assert user.name == "李明" and identity.verify_password(user, PASSWORD)
        assert identity.user_for_token(session, token).username == "li_ming"
        assert identity.user_for_token(session, token + "x") is None
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["org.created", "org.created", "user.created", "role.granted", "role.granted", "token.created"]
    verified = run_cli(migrated, "audit", "verify")
    assert verified.exit_code == 0 and "共 6 个事件" in verified.stdout


def test_granting_twice_keeps_one_membership(engine: Engine, migrated: str) -> None:
    _org_and_user(migrated)
    for _ in range(2):
        assert run_cli(migrated, "role", "grant", "li_ming", "staff", "--org", "XH").exit_code == 0
    assert _count(engine, Membership) == 1


@pytest.mark.parametrize(("args", "stdin", "expected"), [
    (["user", "add", "wang", "--name", "王"], "short\n", "密码至少 8 位"),
    (["user", "add", "wang", "--name", "王"], "", "密码至少 8 位"),
    (["user", "add", "li_ming", "--name", "重名"], PASSWORD + "\n", "已存在"),
    (["user", "add", "bad name!", "--name", "坏"], PASSWORD + "\n", "用户名只能由"),
    (["org", "add", "XH", "重复"], None, "已存在"),
    (["org", "add", "NEW", "新学会", "--parent", "NOPE"], None, "组织 NOPE 不存在"),
    (["role", "grant", "li_ming", "emperor", "--org", "XH"], None, "角色 emperor 不存在"),
    (["role", "grant", "li_ming", "cast_reviewer", "--org", "XH"], None, "只能在市科协"),
    (["role", "grant", "li_ming", "secretary_general", "--org", "TAST"], None, "只能在学会"),
    (["role", "grant", "nobody", "staff", "--org", "XH"], None, "用户 nobody 不存在"),
    (["role", "grant", "li_ming", "staff", "--org", "NOPE"], None, "组织 NOPE 不存在"),
    (["role", "grant", "li_ming", "staff"], None, "请用 --org 指定组织代码"),
    (["token", "create", "nobody"], None, "用户 nobody 不存在"),
])
def test_bad_input_is_one_clear_line(args: list[str], stdin: str | None, expected: str, engine: Engine,
                                     migrated: str) -> None:
    _org_and_user(migrated)
    before = (_count(engine, AuditEvent), _users(engine))
    line = assert_clean_failure(run_cli(migrated, *args, input=stdin))
    assert line.startswith("错误：") and expected in line
    assert (_count(engine, AuditEvent), _users(engine)) == before


# --- the installed console script, end to end ----------------------------------------------------------------

def test_installed_baguan_end_to_end(tmp_path: Path) -> None:
    executable = PROJECT_ROOT / ".venv" / "bin" / "baguan"
    env = {**os.environ, "BAGUAN_ENV": "testing", "BAGUAN_DATABASE_URL": f"sqlite:///{tmp_path}/db/baguan.sqlite3"}
    env.pop("BAGUAN_SECRET_KEY", None)

    def baguan(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(executable), *args], input=stdin, env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    for args in (["init-db"], ["init-db"], ["deploy"], ["seed-demo"], ["audit", "verify"]):
        done = baguan(*args)
        assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "jx_staff" in baguan("seed-demo").stdout
    failed = baguan("user", "add", "x_user", "--name", "X", stdin="123\n")
    assert failed.returncode != 0 and "Traceback" not in failed.stderr + failed.stdout
    assert failed.stderr.strip().splitlines() == ["错误：密码太短：密码至少 8 位"]
    env["BAGUAN_ENV"] = "production"
    production = baguan("init-db")
    assert production.returncode != 0 and len(production.stderr.strip().splitlines()) == 1
    assert "BAGUAN_SECRET_KEY" in production.stderr and "Traceback" not in production.stderr


def test_serve_runs_gunicorn_on_the_configured_port(tmp_path: Path) -> None:
    executable = PROJECT_ROOT / ".venv" / "bin" / "baguan"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BAGUAN_ENV": "development", "BAGUAN_PORT": str(port), "BAGUAN_WORKERS": "1",
           "BAGUAN_DATABASE_URL": f"sqlite:///{tmp_path}/baguan.sqlite3"}
    assert subprocess.run([str(executable), "init-db"], env=env, capture_output=True, timeout=120).returncode == 0
    server = subprocess.Popen([str(executable), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with _first_response(f"http://127.0.0.1:{port}/login") as response:
            assert response.status < 500
            assert response.headers["Server"].startswith("gunicorn")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert f"http://127.0.0.1:{port}" in output and "Traceback" not in output


def _first_response(url: str) -> http.client.HTTPResponse:
    deadline = time.monotonic() + 30
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5)  # noqa: S310 - loopback URL built by the test
        except urllib.error.HTTPError as error:
            return error  # type: ignore[return-value]
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
