"""Reading the inbox filters from a query string (the web pages and the JSON API share it)."""
from __future__ import annotations

from datetime import date
from typing import Mapping

from sqlalchemy.orm import Session

from engine.cases import inbox as inbox
from engine.errors import BadRequest
from engine.identity import accounts
from engine.identity.access import visible_org_ids
from engine.identity.models import Organisation, User
from engine.input_limits import DATE_RANGE_HINT, in_date_range
from engine.runtime.deploy import latest_definitions
from engine.runtime.models import ProcessDefinition

FILTER_KEYS = ("q", "process", "org", "since", "until", "overdue", "sort")


def _date(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest("日期格式不正确", {name: "日期应为 YYYY-MM-DD，如 2027-01-31"}) from None
    if not in_date_range(day):
        raise BadRequest("日期超出范围", {name: DATE_RANGE_HINT})
    return day


def _flag(args: Mapping[str, str], name: str) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw not in ("", "0", "1", "true", "false", "on"):
        raise BadRequest(f"参数 {name} 无效", {name: "应为 true 或 false"})
    return raw in ("1", "true", "on")


def _org_id(session: Session, user: User, raw: str | None) -> int | None:
    """``org`` is a society code (API) or id (web form); one the user cannot see answers 400 like a typo."""
    raw = (raw or "").strip()
    if not raw:
        return None
    for org in society_choices(session, user):
        if raw.upper() == org.code or raw == str(org.id):
            return org.id
    raise BadRequest("学会无效", {"org": f"没有您可查看的学会 {raw[:32]}"})


def parse_filter(session: Session, user: User, args: Mapping[str, str], sorts: tuple[str, ...]) -> inbox.InboxFilter:
    sort = (args.get("sort") or "").strip() or None
    inbox.check_sort(sort, sorts)
    since, until = _date(args, "since"), _date(args, "until")
    if since and until and since > until:
        raise BadRequest("时间段无效", {"until": "结束日期不能早于开始日期"})
    process = (args.get("process") or "").strip()[:64] or None
    return inbox.InboxFilter(process=process, org_id=_org_id(session, user, args.get("org")), since=since,
                             until=until, overdue=_flag(args, "overdue"), search=inbox.clean_search(args.get("q")),
                             sort=sort)


def society_choices(session: Session, user: User) -> list[Organisation]:
    return accounts.societies(session, visible_org_ids(session, user))


def process_choices(session: Session) -> list[ProcessDefinition]:
    return latest_definitions(session)
