"""The ``baguan`` command line. Errors are one line on stderr and a non-zero exit, never a traceback."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.audit import checkpoints as checkpoints
from engine.bootstrap import start as start_engine
from engine.db import make_engine, make_session_factory
from engine.errors import BaguanError, DeployRejected
from engine.identity import accounts as identity
from engine.identity import tokens as api_tokens
from engine.identity.models import Organisation
from engine.runtime import deploy as deployment
from engine.runtime import schema as schema
from engine.vocabulary import TimerStatus

from . import create_app
from .config import PROJECT_ROOT, ConfigError, load_config
from .demo import DEMO_PASSWORD, demo_logins, seed_demo
from .templating import local_time


class CliError(click.ClickException):
    def show(self, file: object = None) -> None:
        click.echo("错误：" + " ".join(self.message.split()), err=True)


def _config() -> dict[str, Any]:
    try:
        return load_config()
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def _app() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise CliError(str(exc)) from None


@contextmanager
def command_engine() -> Iterator[Engine]:
    """The configured database for one command; commands need no web blueprints, only config and engine."""
    config = _config()
    try:
        engine = make_engine(config["DATABASE_URL"])
    except (SQLAlchemyError, ValueError) as exc:
        raise CliError(f"BAGUAN_DATABASE_URL 无效：{exc}") from None
    try:
        yield engine
    except SQLAlchemyError as exc:
        raise CliError(f"数据库操作失败：{_first_line(exc)}") from None
    except OSError as exc:
        raise CliError(f"无法读取或写入文件：{exc}") from None
    finally:
        engine.dispose()


def _first_line(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


@contextmanager
def command_session() -> Iterator[Session]:
    """One transaction per command, committed at its end; domain errors become one-line messages."""
    with command_engine() as engine, make_session_factory(engine)() as session:
        try:
            yield session
            session.commit()
        except DeployRejected as exc:
            session.rollback()
            raise CliError("部署被拒绝：" + "；".join(exc.problems)) from None
        except BaguanError as exc:
            session.rollback()
            raise CliError(_domain_message(exc)) from None


def _domain_message(exc: BaguanError) -> str:
    details = "；".join(exc.fields.values())
    return f"{exc.message}：{details}" if details else exc.message


@click.group(help="把关 Baguan：学会重大事项审批工作流")
def cli() -> None:
    start_engine()


@cli.command("init-db")
def init_db() -> None:
    """Create or migrate the database (idempotent)."""
    with command_engine() as engine:
        if engine.url.drivername.startswith("sqlite") and engine.url.database:
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
        revision = schema.upgrade(engine)
    click.echo(f"数据库已就绪（迁移版本 {revision}）")


@cli.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def deploy_cmd(paths: tuple[Path, ...]) -> None:
    """Deploy BPMN/DMN/forms (default: the project's workflows/ and forms/)."""
    targets = list(paths) or [PROJECT_ROOT / "workflows", PROJECT_ROOT / "forms"]
    with command_session() as session:
        fallback = deployment.read_sources([PROJECT_ROOT / "forms"])[2] if paths else {}
        results = deployment.deploy(session, *deployment.read_sources(targets), fallback_forms=fallback)
    for r in results:
        click.echo(f"{r.key}\t版本 {r.version}\t{'新部署' if r.created else '内容未变，保持现有版本'}\t{r.name}")


@cli.command("seed-demo")
def seed_demo_cmd() -> None:
    """Create the demo organisations and users (once) and print the demo logins."""
    with command_session() as session:
        created = seed_demo(session)
    click.echo("已创建演示数据" if created else "演示数据已存在")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for login in demo_logins():
        click.echo(f"  {login.username:<16} {login.role:<18} {login.org:<5} {login.name}")


@cli.group("org")
def org() -> None:
    """Organisations."""


@org.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", type=click.Choice(["society", "supervisor"]), default="society", help="学会或市科协")
@click.option("--parent", default=None, help="上级（市科协）组织代码")
def org_add(code: str, name: str, kind: str, parent: str | None) -> None:
    with command_session() as session:
        created = identity.add_org(session, code, name, kind, parent)
    click.echo(f"已创建组织 {created.code} {created.name}")


@cli.group("user")
def user() -> None:
    """Users."""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="姓名")
def user_add(username: str, name: str) -> None:
    """Create a user; the password is read from stdin."""
    password = sys.stdin.readline().rstrip("\r\n")
    with command_session() as session:
        identity.add_user(session, username, name, password)
    click.echo(f"已创建用户 {username}")


@cli.group("role")
def role() -> None:
    """Role memberships."""


@role.command("grant")
@click.argument("username")
@click.argument("role_code", metavar="ROLE")
@click.option("--org", "org_code", default=None, help="组织代码（省略时：只有一个组织可选时用它）")
def role_grant(username: str, role_code: str, org_code: str | None) -> None:
    with command_session() as session:
        code = org_code or _only_org_code(session)
        identity.grant_role(session, username, role_code, code)
    click.echo(f"已授予 {username} 在 {code} 的角色 {role_code}")


def _only_org_code(session: Session) -> str:
    codes = session.scalars(select(Organisation.code)).all()
    if len(codes) != 1:
        raise CliError("请用 --org 指定组织代码")
    return codes[0]


@cli.group("token")
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
def token_create(username: str) -> None:
    """Create a token (valid BAGUAN_TOKEN_DAYS days) and print it; it is shown only this once."""
    lifetime = _config()["TOKEN_LIFETIME"]
    with command_session() as session:
        value = identity.create_token(session, username, lifetime=lifetime)
    click.echo(value)


@token.command("list")
@click.argument("username", required=False)
def token_list(username: str | None) -> None:
    """List tokens (of one user): id, user, first characters, created, expires, status."""
    with command_session() as session:
        rows = api_tokens.list_tokens(session, username)
    if not rows:
        click.echo("没有访问令牌")
    for row in rows:
        click.echo(f"#{row.id}\t{row.username}\t{row.hint}…\t创建 {local_time(row.created_at)}"
                   f"\t到期 {local_time(row.expires_at)}\t{row.status_label}")


@token.command("revoke")
@click.argument("token_id", metavar="ID")
def token_revoke(token_id: str) -> None:
    """Revoke a token by the id shown in ``baguan token list``."""
    number = token_id.strip().lstrip("#")
    if not number.isdigit() or len(number) > 18:
        raise CliError(f"令牌编号必须是正整数（见 baguan token list），当前值：{token_id}")
    with command_session() as session:
        info, changed = api_tokens.revoke_token(session, int(number))
    click.echo(f"已撤销令牌 #{info.id}（{info.username}，{info.hint}…）" if changed else f"令牌 #{info.id} 此前已撤销")


@cli.group("audit")
def audit_group() -> None:
    """The audit chain."""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(path_type=Path), default=None,
              help="导出的检查点文件：检查现链仍以其为前缀（链尾未被删除）")
def audit_verify(checkpoint_file: Path | None) -> None:
    with command_session() as session:
        status = checkpoints.chain_status(session)
        anchor = _check_checkpoint_file(session, checkpoint_file) if checkpoint_file else None
    result = status.result
    if not result.ok:
        raise CliError(f"审计链校验失败：第一个异常事件 #{result.first_bad_id}：{result.reason}（此前 {result.count} 个事件完好）")
    if not status.ok:
        raise CliError(f"审计链校验失败：检查点 #{status.bad_checkpoint_id}：{status.checkpoint_reason}")
    if anchor is not None and not anchor.ok:
        raise CliError(f"审计链校验失败：检查点文件 {checkpoint_file}：{anchor.reason}")
    click.echo(f"审计链完整：共 {result.count} 个事件，链头哈希 {result.head_hash}")
    if status.checkpoints:
        click.echo(f"已存检查点 {status.checkpoints} 个，均为现链的前缀")
    if anchor is not None:
        click.echo(f"检查点文件 {checkpoint_file} 签名有效，现链包含该检查点")


def _check_checkpoint_file(session: Session, path: Path) -> checkpoints.PrefixCheck:
    document = checkpoints.parse_document(path.read_text(encoding="utf-8"))
    return checkpoints.check_document(session, document, checkpoints.signing_key(_config()["SECRET_KEY"], _config()["AUDIT_KEY"]))


@audit_group.command("checkpoint")
@click.option("--output", type=click.Path(path_type=Path), default=None, help="同时写入此文件")
def audit_checkpoint(output: Path | None) -> None:
    """Store the chain's head as a checkpoint and print it as a signed JSON document."""
    with command_session() as session:
        key = checkpoints.signing_key(_config()["SECRET_KEY"], _config()["AUDIT_KEY"])
        document = checkpoints.checkpoint_document(checkpoints.create_checkpoint(session), key)
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
    click.echo(text)


@audit_group.command("harden-pg")
@click.option("--app-role", required=True, help="应用连接数据库所用的角色")
def audit_harden_pg(app_role: str) -> None:
    """PostgreSQL: leave the app role only SELECT/INSERT on the audit tables (run as the migration role)."""
    with command_engine() as engine:
        if engine.dialect.name != "postgresql":
            raise CliError("harden-pg 只适用于 PostgreSQL")
        try:
            with engine.begin() as connection:
                statements = audit.harden_pg(connection, app_role)
        except (ValueError, LookupError) as exc:
            raise CliError(str(exc)) from None
    for statement in statements:
        click.echo(statement + ";")
    click.echo(f"已完成：角色 {app_role} 对 audit_event、audit_checkpoint 只有 SELECT、INSERT 权限")


@cli.command("worker")
@click.option("--interval", default=15.0, show_default=True, help="两次检查之间的秒数")
@click.option("--once", is_flag=True, help="处理一次到期的定时器后退出")
@click.option("--failed", "show_failed", is_flag=True, help="列出执行失败（重试中或已停放）的定时器后退出")
def worker_cmd(interval: float, once: bool, show_failed: bool) -> None:
    """Run due timers (reminders, escalations, 报备/公示 periods); several workers may share one PostgreSQL.

    A timer whose action fails is retried with backoff, then parked for an admin; the worker goes on, and it
    waits out a lost database connection instead of exiting."""
    import signal
    import threading

    from engine.cases import worker as worker

    with command_engine() as engine:
        sessions = make_session_factory(engine)
        if show_failed:
            _echo_failed_timers(sessions)
            return
        if once:
            fired = worker.run_due(sessions)
            failures = [item for item in fired if item.failed]
            click.echo(f"已处理 {len(fired) - len(failures)} 个到期定时器"
                       + (f"，另有 {len(failures)} 个执行失败" if failures else ""))
            for item in failures:
                click.echo(worker.describe(item))
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"定时器进程已启动（每 {interval:g} 秒检查一次，Ctrl-C 停止）")
        worker.serve(sessions, interval, stop, log=click.echo)


def _echo_failed_timers(sessions: Any) -> None:
    from engine.cases import worker as worker

    with sessions() as session:
        timers = worker.failed_timers(session)
        if not timers:
            click.echo("没有执行失败的定时器")
            return
        click.echo("编号\t状态\t类型\t事项\t到期时间\t失败次数\t下次重试\t最近错误")
        for timer in timers:
            retry = f"{timer.next_attempt_at:%Y-%m-%d %H:%M}" if timer.next_attempt_at else "-"
            click.echo(f"{timer.id}\t{TimerStatus.label_of(timer.status)}\t{timer.kind}\t{timer.case_id}\t"
                       f"{timer.due_at:%Y-%m-%d %H:%M}\t{timer.attempts}\t{retry}\t"
                       + " ".join((timer.last_error or "").split())[:300])


@cli.group("dossier")
def dossier_group() -> None:
    """Case dossiers (ZIP)."""


@dossier_group.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--key", default=None, help="签名密钥（默认 BAGUAN_AUDIT_KEY）")
def dossier_verify(path: Path, key: str | None) -> None:
    """Check a case dossier offline (no database needed)."""
    from engine.audit import dossier as dossier
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"无法读取文件：{exc}") from None
    secret = key or _config()["AUDIT_KEY"]
    verdict = dossier.verify(data, secret.encode("utf-8") if secret else None)
    for note in verdict.notes:
        click.echo(note)
    if not verdict.ok:
        raise CliError("档案校验失败：" + "；".join(verdict.problems[:5]))
    click.echo("档案校验通过")


@cli.command("serve")
def serve() -> None:
    """Serve Baguan with gunicorn (a production WSGI server)."""
    from .server import run_gunicorn
    run_gunicorn(_app())


def main() -> None:
    cli(prog_name="baguan")
