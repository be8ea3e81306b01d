"""What the system refuses outright when a matter is filed, each with the rule that forbids it.

A process names its guards in the property ``startGuards`` (comma-separated); each guard returns
``{field: 中文理由}`` and the filing is refused with all of them.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable

from engine.db import utcnow
from engine.errors import BaguanError, InvalidData
from engine.workdays import add_working_days

NGO_LAW = ("依据《中华人民共和国境外非政府组织境内活动管理法》第三十二条，中国境内任何单位和个人不得接受"
           "未登记代表机构、开展临时活动未经备案的境外非政府组织的资助")
AWARD_FEE_RULE = "依据《社会组织评比达标表彰活动管理暂行规定》（国评组发〔2012〕2号），严禁借评比达标表彰活动向参评对象收取任何费用"
AWARD_FOREIGN_RULE = "依据天津市科协《关于进一步推动天津市科协所属学会创新发展的实施意见》第15条，学会不得与境外组织合作举办评比表彰活动"
TIANJIN_NAME_RULE = "依据同一意见第15条，未经批准不得以天津市名义举办或参与举办评比达标表彰活动"
INTERNATIONAL_RULE = ("参会者来自 3 个及以上国家和地区，属于国际会议（《关于在华举办国际会议的管理办法》，中办发〔2006〕10号），"
                      "本备案不予受理，请改走“境外合作/国际会议”流程报批")
FEE_RULE = "依据财规〔2000〕47号及民政部有关规定，经营服务性收费不得强制收取"
BRANCH_NAME_RULE = "依据民政部关于分支机构名称的规定，分支机构名称除学会名称外不得使用“中国、中华、全国、国家”等字样"
BRANCH_FORBIDDEN = ("中国", "中华", "全国", "国家")


def _today() -> date:
    return utcnow().date()


def foreign_ngo(data: dict[str, Any]) -> dict[str, str]:
    if data.get("donor_is_foreign_ngo") and not (data.get("ngo_registration_no") or data.get("ngo_temp_filing_no")):
        return {"ngo_registration_no": f"该境外非政府组织既无代表机构登记证号，也无临时活动备案号，系统不予受理：{NGO_LAW}"}
    return {}


def award_compliance(data: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if data.get("charges_candidates"):
        errors["charges_candidates"] = f"不得向参评对象收费，系统不予受理：{AWARD_FEE_RULE}"
    if any(row.get("foreign") for row in data.get("co_hosts") or []):
        errors["co_hosts"] = f"联合举办单位中有境外组织或个人，系统不予受理：{AWARD_FOREIGN_RULE}"
    if data.get("uses_tianjin_name") and not data.get("tianjin_name_approval"):
        errors["tianjin_name_approval"] = f"使用天津市名义须填写批准文号：{TIANJIN_NAME_RULE}"
    return errors


def academic_event(data: dict[str, Any]) -> dict[str, str]:
    """入口关 checks: an international meeting goes to process 5; lead time; a fee needs its filing."""
    errors = {}
    if int(data.get("countries_count") or 0) >= 3:
        errors["countries_count"] = INTERNATIONAL_RULE
    lead, label = (10, "涉外活动须提前 10 个工作日") if data.get("foreign_involved") else (5, "须提前 5 个工作日")
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
    days, label = (240, "有境外非政府组织参与的国际会议") if data.get("ngo_involved") else \
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


GUARDS: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "foreign_ngo": foreign_ngo, "award_compliance": award_compliance, "academic_event": academic_event,
    "foreign_lead_time": foreign_lead_time, "fee_compliance": fee_compliance, "branch_name": branch_name}


def check(properties: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse, with the legal reason, what the process property ``startGuards`` names as forbidden."""
    errors: dict[str, str] = {}
    for name in filter(None, (n.strip() for n in str(properties.get("startGuards") or "").split(","))):
        if name not in GUARDS:
            raise BaguanError(f"流程配置错误：未知的受理校验 {name}（可用：{'、'.join(GUARDS)}）")
        errors.update(GUARDS[name](data))
    if errors:
        raise InvalidData("按规定不予受理", errors)
