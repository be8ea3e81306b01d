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
from engine.library import holidays as holidays
from engine.roles import ROLES
from engine.runtime import deploy as deployment
from engine.runtime import health as health
from engine.runtime import schema as schema
from engine.vocabulary import TimerStatus

from . import create_app
from .cli_help import ChineseGroup
from .config import SETTINGS, ConfigError, load_config
from .demo import DEMO_PASSWORD, demo_logins, seed_demo, seed_demo_cases
from .instance import ensure_private_dir, ensure_sqlite_file
from .library import forms_dir, workflows_dir
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
        ensure_sqlite_file(config["DATABASE_URL"])
        engine = make_engine(config["DATABASE_URL"])
    except OSError as exc:
        raise CliError(f"无法创建数据库文件：{exc}") from None
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
    return health.first_line(exc)


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


def _epilog() -> str:
    settings = "\n".join(f"  {s.env:<26} {s.description}" + (f"（默认 {s.default}）" if s.default else "")
                         for s in SETTINGS)
    roles = "\n".join(f"  {r.code:<18} {r.label}" for r in ROLES.values())
    return (f"\b\n环境变量：\n{settings}\n\n\b\n角色代码（baguan role grant 用）：\n{roles}\n\n"
            "各命令的用法：baguan 命令 -h")


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("baguan")
    except PackageNotFoundError:
        return "未安装"


@click.group("baguan", cls=ChineseGroup, help="把关 Baguan：学会重大事项审批工作流。", epilog=_epilog())
@click.version_option(_package_version(), "-V", "--version", prog_name="baguan", message="%(prog)s %(version)s",
                      help="显示版本号后退出")
def cli() -> None:
    start_engine()


@cli.command("init-db")
def init_db() -> None:
    """创建或迁移数据库（可重复运行；运行中的案件保持其流程版本）。"""
    with command_engine() as engine:
        revision = schema.upgrade(engine)
    click.echo(f"数据库已就绪（迁移版本 {revision}）")


@cli.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def deploy_cmd(paths: tuple[Path, ...]) -> None:
    """部署流程图、决策表和表单（默认：随程序安装的流程库），并导入随附的节假日数据。"""
    with workflows_dir() as workflows, forms_dir() as forms:
        targets = list(paths) or [workflows, forms]
        with command_session() as session:
            fallback = deployment.read_sources([forms])[2] if paths else {}
            results = deployment.deploy(session, *deployment.read_sources(targets), fallback_forms=fallback)
            imported = holidays.import_bundled(session)
    for r in results:
        click.echo(f"{r.key}\t版本 {r.version}\t{'新部署' if r.created else '内容未变，保持现有版本'}\t{r.name}")
    _report_bundled(imported)


def _report_bundled(imported: holidays.ImportResult) -> None:
    if imported.count:
        years = "、".join(str(y) for y in imported.years)
        click.echo(f"已导入随附的节假日数据：{years} 年，共 {imported.count} 天")


@cli.command("seed-demo")
def seed_demo_cmd() -> None:
    """创建演示组织、用户和几件处于不同阶段的演示案件（只创建一次），并列出演示账号。"""
    with command_session() as session:
        created = seed_demo(session)
        imported = holidays.import_bundled(session)
        holidays.refresh(session)
        cases = seed_demo_cases(session) if created else 0
    click.echo("已创建演示数据" if created else "演示数据已存在")
    if cases:
        click.echo(f"已创建演示案件 {cases} 件（各账号的待办里都有事可办）")
    _report_bundled(imported)
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for login in demo_logins():
        click.echo(f"  {login.username:<16} {login.role:<18} {login.org:<5} {login.name}")


@cli.group("org")
def org() -> None:
    """组织（学会、市科协）。"""


@org.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", type=click.Choice(["society", "supervisor"]), default="society", help="学会或市科协")
@click.option("--parent", default=None, help="上级（市科协）组织代码")
def org_add(code: str, name: str, kind: str, parent: str | None) -> None:
    """新建组织：CODE 为组织代码（字母、数字、连字符），NAME 为全称。"""
    with command_session() as session:
        created = identity.add_org(session, code, name, kind, parent)
    click.echo(f"已创建组织 {created.code} {created.name}")


@cli.group("user")
def user() -> None:
    """用户。"""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="姓名")
def user_add(username: str, name: str) -> None:
    """新建用户；密码从标准输入读取一行（不出现在命令行和进程列表里）。"""
    password = sys.stdin.readline().rstrip("\r\n")
    with command_session() as session:
        identity.add_user(session, username, name, password)
    click.echo(f"已创建用户 {username}")


@cli.group("role")
def role() -> None:
    """角色授予（角色代码见 baguan -h）。"""


@role.command("grant")
@click.argument("username")
@click.argument("role_code", metavar="ROLE")
@click.option("--org", "org_code", default=None, help="组织代码（省略时：只有一个组织可选时用它）")
def role_grant(username: str, role_code: str, org_code: str | None) -> None:
    """授予用户 USERNAME 在某组织的角色 ROLE。"""
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
    """JSON API 的访问令牌。"""


@token.command("create")
@click.argument("username")
def token_create(username: str) -> None:
    """为用户 USERNAME 生成一个 API 令牌并打印（只显示这一次；有效期 BAGUAN_TOKEN_DAYS 天）。"""
    lifetime = _config()["TOKEN_LIFETIME"]
    with command_session() as session:
        value = identity.create_token(session, username, lifetime=lifetime)
    click.echo(value)


@token.command("list")
@click.argument("username", required=False)
def token_list(username: str | None) -> None:
    """列出 API 令牌（可只列某个用户的）：编号、用户、开头字符、创建时间、到期时间、状态。"""
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
    """按 baguan token list 显示的编号撤销一个令牌。"""
    number = token_id.strip().lstrip("#")
    if not number.isdigit() or len(number) > 18:
        raise CliError(f"令牌编号必须是正整数（见 baguan token list），当前值：{token_id}")
    with command_session() as session:
        info, changed = api_tokens.revoke_token(session, int(number))
    click.echo(f"已撤销令牌 #{info.id}（{info.username}，{info.hint}…）" if changed else f"令牌 #{info.id} 此前已撤销")


@cli.group("audit")
def audit_group() -> None:
    """审计链（防篡改的操作记录）。"""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(path_type=Path), default=None,
              help="导出的检查点文件：检查现链仍以其为前缀（链尾未被删除）")
def audit_verify(checkpoint_file: Path | None) -> None:
    """校验整条审计链与已存的检查点；恢复备份后必须运行。"""
    with command_session() as session:
        status = checkpoints.chain_status(session)
        anchor = _check_checkpoint_file(session, checkpoint_file) if checkpoint_file else None
    result = status.result
    if not result.ok:
        raise CliError(f"审计链校验失败：{result.reason}")
    if not status.ok:
        raise CliError(f"审计链校验失败：检查点 #{status.bad_checkpoint_id}：{status.checkpoint_reason}")
    if anchor is not None and not anchor.ok:
        raise CliError(f"审计链校验失败：检查点文件 {checkpoint_file}：{anchor.reason}")
    click.echo(f"审计链完整：共 {result.count} 个事件，{len(result.heads)} 条链，链头根哈希 {status.root}")
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
    """把各条链的链头存为检查点，并打印签名的 JSON 文档（请另行保存到数据库以外的地方）。"""
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
    """PostgreSQL：让应用角色对审计表只有 SELECT/INSERT 权限（用迁移角色运行）。"""
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
@click.option("--interval", default=15.0, help="两次检查之间的秒数（默认 15）")
@click.option("--once", is_flag=True, help="处理一次到期的定时器后退出")
@click.option("--failed", "show_failed", is_flag=True, help="列出执行失败（重试中或已停放）的定时器后退出")
def worker_cmd(interval: float, once: bool, show_failed: bool) -> None:
    """定时器进程：催办、超时升级、报备/公示期满；多个进程可共用一个 PostgreSQL。

    执行失败的定时器按退避重试，多次失败后停放待管理员处理，其余定时器照常执行；数据库断开时等待重连而不退出。"""
    import signal
    import threading

    from engine.cases import worker as worker

    with command_engine() as engine:
        sessions = holidays.RefreshingSessions(make_session_factory(engine))
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
    """案件档案（ZIP）。"""


@dossier_group.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--key", default=None, help="签名密钥（默认 BAGUAN_AUDIT_KEY）")
def dossier_verify(path: Path, key: str | None) -> None:
    """离线校验案件档案（不需要数据库）。"""
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
    """用 gunicorn 提供网页和 API 服务；先检查端口、数据库和迁移版本，有问题时只打印一行并退出。"""
    from .server import port_problem, run_gunicorn
    config = _config()
    problem = port_problem(config["HOST"], config["PORT"])
    if problem:
        raise CliError(problem)
    with command_engine() as engine:
        problem = health.database_problem(engine)
        if problem:
            raise CliError(problem)
        with make_session_factory(engine)() as session:
            holidays.refresh(session)
            missing = holidays.uncovered_deadline_years(session)
    if missing:
        click.echo("警告：" + holidays.missing_years_message(missing), err=True)
    try:
        ensure_private_dir(Path(config["INSTANCE_DIR"]))
        ensure_private_dir(Path(config["UPLOAD_DIR"]))
    except OSError as exc:
        raise CliError(f"无法创建实例目录：{exc}") from None
    run_gunicorn(_app())


@cli.group("holidays")
def holidays_group() -> None:
    """节假日表：国务院放假通知里的放假日和调休上班日（优先于 chinese-calendar 的数据）。"""


@holidays_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def holidays_import(file: Path) -> None:
    """导入 CSV 文件 FILE（UTF-8，表头 date,kind,name；kind 为 放假 或 调休）；整体替换文件所涉年份的数据。"""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"无法读取节假日文件：{exc}") from None
    with command_session() as session:
        result = holidays.import_entries(session, holidays.parse_csv(text), source=file.name)
        holidays.refresh(session)
    years = "、".join(str(y) for y in result.years)
    click.echo(f"已导入 {years} 年的节假日数据，共 {result.count} 天")


@holidays_group.command("check")
def holidays_check() -> None:
    """检查每个未到期的期限所在年份都有节假日数据（节假日表或 chinese-calendar）；缺少时返回非零。"""
    with command_session() as session:
        deadlines = holidays.deadline_years(session)
        missing = holidays.uncovered_deadline_years(session)
        known = holidays.table_years(session)
    if missing:
        raise CliError(holidays.missing_years_message(missing))
    covered = "、".join(str(y) for y in sorted(deadlines)) or "无"
    table = "、".join(f"{y}（{n} 天）" for y, n in sorted(known.items())) or "无"
    click.echo(f"节假日数据齐全：未到期期限所在年份 {covered}；节假日表中有 {table}")


def main() -> None:
    cli(prog_name="baguan")
