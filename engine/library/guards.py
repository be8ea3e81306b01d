"""What the system refuses outright when a matter is filed, each with the rule that forbids it.

A process names its guards in the property ``startGuards`` (comma-separated); each guard returns
``{field: 中文理由}`` and the filing is refused with all of them.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable

from engine.db import utcnow
from engine.errors import BaguanError, InvalidData
from engine.library import foreign
from engine.workdays import add_working_days

NGO_LAW = foreign.NGO_LAW
AWARD_FEE_RULE = "依据《社会组织评比达标表彰活动管理暂行规定》（国评组发〔2012〕2号），严禁借评比达标表彰活动向参评对象收取任何费用"
AWARD_FOREIGN_RULE = "依据天津市科协《关于进一步推动天津市科协所属学会创新发展的实施意见》第15条，学会不得与境外组织合作举办评比表彰活动"
TIANJIN_NAME_RULE = "依据同一意见第15条，未经批准不得以天津市名义举办或参与举办评比达标表彰活动"
INTERNATIONAL_RULE = ("参会者来自 3 个及以上国家和地区，属于国际会议（《关于在华举办国际会议的管理办法》，中办发〔2006〕10号），"
                      "本备案不予受理，请改走“境外合作/国际会议”流程报批")
FEE_RULE = "依据财规〔2000〕47号及民政部有关规定，经营服务性收费不得强制收取"
BRANCH_NAME_RULE = "依据民政部关于分支机构名称的规定，分支机构名称除学会名称外不得使用“中国、中华、全国、国家”等字样"
BRANCH_FORBIDDEN = ("中国", "中华", "全国", "国家")
BRANCH_NESTING_RULE = ("依据天津市科协《关于进一步推动天津市科协所属学会创新发展的实施意见》第12条，"
                       "一般不得以任何形式变相在分支机构下再设立分支机构")
BRANCH_KINDS = ("分会", "专业委员会", "工作委员会", "专项基金管理委员会")
UNDER_BRANCH = "分支机构"
CONDUCT_RULE = ("依据天津市科协《关于进一步推动天津市科协所属学会创新发展的实施意见》第13条，学会开展业务活动不得以挂名方式"
                "参与合作、收取费用，不得强制会员或者参加人员赞助、捐赠、订购有关产品或刊物")
CONDUCT_QUESTIONS = {
    "forced_contribution": "要求会员或参加人员赞助、捐赠或订购产品、刊物",
    "nominal_participation": "学会仅挂名参与合作（不实际履行主办、承办、协办职责）或收取挂名费用",
}


def _today() -> date:
    return utcnow().date()


def foreign_ngo(data: dict[str, Any]) -> dict[str, str]:
    """Every foreign NGO party (donor, partner, co-host, sponsor) carries a well-formed registration or filing number."""
    return foreign.ngo_errors(data)


def award_compliance(data: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if data.get("charges_candidates"):
        errors["charges_candidates"] = f"不得向参评对象收费，系统不予受理：{AWARD_FEE_RULE}"
    if any(foreign.is_foreign_party(row) for row in data.get("co_hosts") or [] if isinstance(row, dict)):
        errors["co_hosts"] = f"联合举办单位中有境外组织或个人，系统不予受理：{AWARD_FOREIGN_RULE}"
    if data.get("uses_tianjin_name") and not data.get("tianjin_name_approval"):
        errors["tianjin_name_approval"] = f"使用天津市名义须填写批准文号：{TIANJIN_NAME_RULE}"
    return errors


def academic_event(data: dict[str, Any]) -> dict[str, str]:
    """入口关 checks: an international meeting goes to process 5; lead time; a fee needs its filing."""
    errors = {}
    if int(data.get("countries_count") or 0) >= 3:
        errors["countries_count"] = INTERNATIONAL_RULE
    lead, label = (10, "涉外活动须提前 10 个工作日") if foreign.foreign_reasons(data) else (5, "须提前 5 个工作日")
    if "start_date" in data and date.fromisoformat(data["start_date"]) < add_working_days(utcnow(), lead).date():
        errors["start_date"] = f"距活动开始不足规定提前量（{label}备案），不得提交"
    if data.get("charges") and not data.get("fee_filing_no"):
        errors["fee_filing_no"] = "活动收费须先完成“经营服务性收费备案”并填写备案号"
    return errors


def foreign_lead_time(data: dict[str, Any]) -> dict[str, str]:
    """International meetings: at least 90 days ahead, 180 for important ones, 240 with a foreign NGO."""
    if int(data.get("countries_count") or 0) < 3 or "start_date" not in data:
        return {}
    important = int(data.get("foreign_count") or 0) > 300 or int(data.get("total_count") or 0) > 800 \
        or bool(data.get("ministerial"))
    days, label = (240, "有境外非政府组织参与的国际会议") if data.get("ngo_involved") or foreign.ngo_parties(data) else \
        (180, "重要国际会议") if important else (90, "一般国际会议")
    if date.fromisoformat(data["start_date"]) < _today() + timedelta(days=days):
        return {"start_date": f"{label}须至少提前 {days} 天报批（中办发〔2006〕10号），不得提交"}
    return {}


def fee_compliance(data: dict[str, Any]) -> dict[str, str]:
    if data.get("mandatory"):
        return {"mandatory": f"强制收费不予备案：{FEE_RULE}"}
    return {}


def branch_name(data: dict[str, Any]) -> dict[str, str]:
    words = [w for w in BRANCH_FORBIDDEN if w in str(data.get("branch_name", ""))]
    if words:
        return {"branch_name": f"名称含“{'、'.join(words)}”：{BRANCH_NAME_RULE}"}
    return {}


def branch_not_nested(data: dict[str, Any]) -> dict[str, str]:
    """No branch under a branch: neither declared (``parent_unit``) nor in disguise (a name naming two branches)."""
    errors = {}
    if data.get("parent_unit") == UNDER_BRANCH:
        errors["parent_unit"] = f"不得在分支机构下设立分支机构，系统不予受理：{BRANCH_NESTING_RULE}"
    name = str(data.get("branch_name", ""))
    if sum(name.count(kind) for kind in BRANCH_KINDS) >= 2:
        errors["branch_name"] = f"名称显示拟在分支机构下再设分支机构，系统不予受理：{BRANCH_NESTING_RULE}"
    return errors


def event_conduct(data: dict[str, Any]) -> dict[str, str]:
    """Clause 13: no forced sponsorship, donation or purchase, and no 挂名 participation for a fee."""
    return {field: f"本活动{question}，系统不予受理：{CONDUCT_RULE}"
            for field, question in CONDUCT_QUESTIONS.items() if data.get(field) is True}


GUARDS: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "foreign_ngo": foreign_ngo, "award_compliance": award_compliance, "academic_event": academic_event,
    "foreign_lead_time": foreign_lead_time, "fee_compliance": fee_compliance, "branch_name": branch_name,
    "branch_not_nested": branch_not_nested, "event_conduct": event_conduct}


def check(properties: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse, with the legal reason, what the process property ``startGuards`` names as forbidden."""
    errors: dict[str, str] = {}
    for name in filter(None, (n.strip() for n in str(properties.get("startGuards") or "").split(","))):
        if name not in GUARDS:
            raise BaguanError(f"流程配置错误：未知的受理校验 {name}（可用：{'、'.join(GUARDS)}）")
        errors.update(GUARDS[name](data))
    if errors:
        raise InvalidData("按规定不予受理", errors)
