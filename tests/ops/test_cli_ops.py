"""The command line an IT office reads: Chinese help naming every command, setting and role; ``--version``;
demo data with work in the inboxes; the worker loading the holiday table."""
from __future__ import annotations

from datetime import date

import click
from sqlalchemy import func, select

from engine import holiday_calendar as holiday_calendar
from engine.db import make_engine, make_session_factory
from engine.identity.models import User
from engine.roles import ROLES
from engine.runtime.models import Case, HumanTask
from webapp.cli import cli
from webapp.config import SETTINGS

from ..security.helpers import run_cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name, command in group.commands.items():
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


def test_top_level_help_lists_commands_settings_and_roles_in_chinese() -> None:
    for flag in ("-h", "--help"):
        result = run_cli("sqlite://", flag)
        assert result.exit_code == 0
        page = result.stdout
        assert page.startswith("用法：baguan [选项] 命令 [参数]...") and "选项：" in page and "命令：" in page
        assert all(setting.env in page for setting in SETTINGS)
        assert all(f"{role.code}" in page and role.label in page for role in ROLES.values())
        assert "Usage" not in page and "Show this message" not in page


def test_every_command_has_a_chinese_description_and_minus_h() -> None:
    for path, command in _commands(cli):
        assert command.help and any("\u4e00" <= ch <= "\u9fff" for ch in command.help), path
        result = run_cli("sqlite://", *path, "-h")
        assert result.exit_code == 0 and result.stdout.startswith("用法：baguan " + " ".join(path)), path
        assert "显示本帮助后退出" in result.stdout and "Show this message" not in result.stdout, path


def test_version() -> None:
    for flag in ("--version", "-V"):
        result = run_cli("sqlite://", flag)
        assert result.exit_code == 0 and result.stdout.strip() == "baguan 0.1.0"


def test_seed_demo_leaves_work_in_the_inboxes(migrated_url: str) -> None:
    assert run_cli(migrated_url, "deploy").exit_code == 0
    result = run_cli(migrated_url, "seed-demo")
    assert result.exit_code == 0 and "已创建演示案件 5 件" in result.stdout
    engine = make_engine(migrated_url)
    with make_session_factory(engine)() as session:
        open_steps = {t.bpmn_id for t in session.scalars(select(HumanTask).where(HumanTask.status == "open"))}
        statuses = set(session.scalars(select(Case.status)))
        users = session.scalar(select(func.count()).select_from(User))
    engine.dispose()
    assert {"draft", "sg_review", "party_review", "cast_filing"} <= open_steps
    assert statuses == {"running", "completed"} and users
    again = run_cli(migrated_url, "seed-demo")
    assert again.exit_code == 0 and "演示案件" not in again.stdout


def test_worker_loads_the_holiday_table(migrated_url: str, tmp_path: object) -> None:
    from pathlib import Path
    path = Path(str(tmp_path)) / "2029.csv"
    path.write_text("date,kind,name\n2029-01-01,放假,元旦\n", encoding="utf-8")
    assert run_cli(migrated_url, "holidays", "import", str(path)).exit_code == 0
    holiday_calendar.install(holiday_calendar.HolidayCalendar())
    result = run_cli(migrated_url, "worker", "--once")
    assert result.exit_code == 0 and result.stdout.startswith("已处理 0 个到期定时器")
    assert holiday_calendar.current().days == {date(2029, 1, 1): holiday_calendar.DayKind.OFF}


def test_every_environment_variable_the_code_reads_is_in_the_help() -> None:
    import re

    from ..conftest import PROJECT_ROOT
    used = {name for folder in ("engine", "webapp") for path in (PROJECT_ROOT / folder).rglob("*.py")
            for name in re.findall(r"BAGUAN_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8"))}
    assert used and used <= {s.env for s in SETTINGS}, used - {s.env for s in SETTINGS}
