"""Demo data: a supervising 科协, two societies, one user per role in each, plus admin and auditor."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.identity import accounts as identity
from engine.identity.models import Organisation

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
