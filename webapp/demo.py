"""Demo data: a supervising 科协, two societies, one user per role in each, plus admin and auditor."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import operations as cases
from engine.identity import accounts as identity
from engine.identity.models import Organisation, User
from engine.runtime.deploy import latest_definition
from engine.runtime.models import HumanTask

DEMO_PASSWORD = "baguan-demo-2026"
SUPERVISOR = ("TAST", "天津市科学技术协会")
SOCIETIES = (("JX", "天津市机械工程学会"), ("DZ", "天津市电子学会"))
SOCIETY_ROLES = (
    ("staff", "经办人"), ("sg", "secretary_general"), ("party", "party_secretary"), ("president", "president"),
    ("finance", "finance"), ("supervisor", "supervisor"), ("fa", "foreign_affairs"),
    ("deputy", "secretary_general"),
)
SOCIETY_ROLE_NAMES = {"staff": "经办人", "sg": "秘书长", "party": "党组织书记", "president": "理事长",
                      "finance": "财务", "supervisor": "监事", "fa": "外事联络员",
                      "deputy": "副秘书长"}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: str
    org: str


def demo_logins() -> list[DemoLogin]:
    logins = [DemoLogin("cast", "市科协学会部审核员", "cast_reviewer", "TAST"),
              DemoLogin("cast_party", "市科协科技社团党委审核员", "cast_party", "TAST"),
              DemoLogin("admin", "系统管理员", "admin", "TAST"),
              DemoLogin("auditor", "市科协审计员", "auditor", "TAST")]
    for code, society in SOCIETIES:
        for suffix, role in SOCIETY_ROLES:
            role_code = "staff" if suffix == "staff" else role
            logins.append(DemoLogin(f"{code.lower()}_{suffix}", f"{society[3:7]}{SOCIETY_ROLE_NAMES[suffix]}",
                                    role_code, code))
    return logins


def seed_demo(session: Session) -> bool:
    """Create the demo organisations and users once; returns False when they already exist."""
    if session.scalar(select(Organisation).where(Organisation.code == SUPERVISOR[0])):
        return False
    identity.add_org(session, *SUPERVISOR, kind="supervisor")
    for code, name in SOCIETIES:
        identity.add_org(session, code, name, kind="society", parent_code=SUPERVISOR[0])
    for login in demo_logins():
        identity.add_user(session, login.username, login.name, DEMO_PASSWORD)
        identity.grant_role(session, login.username, login.role, login.org)
    return True


PLAN_KEY = "annual_plan"
PLAN = {
    "plan_year": 2027, "guiding_principles": "坚持正确政治方向，服务科技工作者，服务创新驱动发展。",
    "last_year_review": "完成学术年会、科普进社区等 12 项重点工作。",
    "key_tasks": [{"category": "学术交流", "name": "2027 学术年会", "month": 10, "budget": 80000},
                  {"category": "科普", "name": "全国科普日主场活动", "month": 9, "budget": 30000}],
    "income_total": 500000, "expense_total": 480000, "party_building_plan": "开展主题党日活动 4 次。",
}
STEP_ACTORS: dict[str, tuple[str, dict[str, Any]]] = {
    "sg_review": ("sg", {"sg_compliance_checked": True}), "finance_check": ("finance", {"budget_checked": True}),
    "party_review": ("party", {"party_review_opinion": "政治方向正确，同意提交。"}),
    "president_review": ("president", {}),
    "council_meeting": ("sg", {
        "meeting_type": "常务理事会", "meeting_mode": "现场", "meeting_date": "2027-01-10", "host": "理事长",
        "expected_count": 21, "present_count": 16, "votes_for": 15, "votes_against": 1, "votes_abstain": 0,
        "minutes_number": "CW-2027-01", "minutes_ref": "常务理事会会议纪要 2027-01 号（秘书处存档）"}),
    "cast_filing": ("cast", {"filing_number": "TAST-2027-001"}),
}
DEMO_CASES: tuple[tuple[str, str, int, str | None], ...] = (
    # (society, title, review steps approved, then: None | "return")
    ("JX", "2027 年度工作计划", 0, None),
    ("DZ", "2027 年度工作计划", 2, None),
    ("JX", "2027 年度工作计划（分支机构）", 5, None),
    ("DZ", "2027 年度学术交流计划", 1, "return"),
    ("JX", "2026 年度工作计划（补报）", 6, None),
)


def seed_demo_cases(session: Session) -> int:
    """A handful of annual plans in different states, so every demo inbox has work; 0 when not deployed."""
    if latest_definition(session, PLAN_KEY, required=False) is None:
        return 0
    return len([_demo_case(session, *spec) for spec in DEMO_CASES])


def _demo_case(session: Session, society: str, title: str, approvals: int, then: str | None) -> int:
    org = session.scalars(select(Organisation).where(Organisation.code == society)).one()
    case = cases.start_case(session, _user(session, f"{society.lower()}_staff"), PLAN_KEY, org, title, dict(PLAN))
    for _ in range(approvals):
        task = _open_task(session, case.id)
        if task is None:
            break
        who, data = STEP_ACTORS[task.bpmn_id]
        username = who if who == "cast" else f"{society.lower()}_{who}"
        cases.complete_task(session, _user(session, username), task.id, "approve", "同意。", dict(data))
    task = _open_task(session, case.id)
    if then == "return" and task is not None:
        who, _data = STEP_ACTORS[task.bpmn_id]
        cases.complete_task(session, _user(session, f"{society.lower()}_{who}"), task.id, "return",
                            "请补充各项活动的经费来源。", {})
    return case.id


def _open_task(session: Session, case_id: int) -> HumanTask | None:
    return session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open")
                           .order_by(HumanTask.id)).first()


def _user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()
