"""涉外 and 境外非政府组织: what makes a filing foreign, computed from every foreign field of its form, and the one
rule for foreign NGOs in every procedure with a foreign party.

涉外 (``foreign_matter``) is computed at filing from the speakers, participants, audience, partners, donors,
co-hosts, sponsors and plan items; the applicant's own 涉外 box can only add to it, never remove. The diagrams'
gateways read ``foreign_matter``; ``foreign_reasons`` says why, for the reviewers.

境外非政府组织 (《境外非政府组织境内活动管理法》第九条、第三十二条): every foreign NGO party must carry the number of
its 代表机构登记证书 or of its 临时活动备案, trimmed and in an accepted format, and the 外事 reviewer confirms
them (``ngo_status_confirmed`` on the 外事 review form). Accepted formats:

* 登记证号: the 18-character 统一社会信用代码 printed on the 登记证书 (GB 32100-2015: digits and the capital
  letters other than I, O, S, V, Z, with a valid check character), e.g. ``G1110000MA00XXXXXX``-style codes;
* 临时活动备案号: 6 to 50 characters of Chinese characters, letters, digits and 〔〕()（）[]- with at least four
  digits, e.g. ``津公境临备〔2027〕0012号``.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from engine.errors import InvalidData
from engine.identity.models import User
from engine.runtime.models import HumanTask
from engine.vocabulary import Decision

NGO = "境外非政府组织"
NGO_LAW = ("依据《中华人民共和国境外非政府组织境内活动管理法》第九条、第三十二条，境外非政府组织在境内开展活动须登记设立代表机构"
           "或办理临时活动备案，任何单位和个人不得与未登记、未备案的境外非政府组织合作或接受其资助")
NGO_FORMAT = ("登记证号为 18 位统一社会信用代码（数字和除 I、O、S、V、Z 外的大写字母，末位校验码正确）；"
              "临时活动备案号为 6–50 位汉字、字母、数字或〔〕()（）[]-，至少含 4 位数字")
FOREIGN_DONOR_TYPES = ("境外自然人", "境外组织", "港澳台")
FOREIGN_AUDIENCE = "含境外人员"
OUTSIDE_MAINLAND = ("香港", "澳门", "台湾", "港澳", "境外", "国外", "外国", "hong kong", "macao", "macau", "taiwan")
MAINLAND = ("中国", "中华人民共和国", "china", "cn", "prc")
PARTY_TABLES = ("partners", "foreign_parties", "co_hosts")
CONFIRM_FIELD = "ngo_status_confirmed"

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FILING_PATTERN = re.compile(r"[\u4e00-\u9fffA-Za-z0-9〔〕()（）\[\]\-]{6,50}")


def clean(value: Any) -> str:
    """A number as entered, without surrounding (or any) white space."""
    return re.sub(r"\s+", "", str(value or ""))


def is_credit_code(value: str) -> bool:
    """An 18-character 统一社会信用代码 with a valid check character (GB 32100-2015)."""
    if len(value) != 18 or any(c not in USCC_CHARS for c in value):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(value[:17], USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31] == value[17]


def is_filing_number(value: str) -> bool:
    return bool(FILING_PATTERN.fullmatch(value)) and sum(c.isdigit() for c in value) >= 4


def is_ngo_number(value: str) -> bool:
    return is_credit_code(value) or is_filing_number(value)


def marked_outside(text: Any) -> bool:
    """Text that names a place outside the mainland (香港、澳门、台湾、境外、国外…)."""
    return any(mark in str(text or "").lower() for mark in OUTSIDE_MAINLAND)


def outside_mainland(region: Any) -> bool:
    """A 国籍或地区 that is not the mainland: a foreign country, or 港澳台 (blank says nothing)."""
    text = str(region or "").strip()
    if not text:
        return False
    return marked_outside(text) or not any(mark in text.lower() for mark in MAINLAND)


def _rows(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    return [row for row in data.get(table) or [] if isinstance(row, dict)]


def is_foreign_party(row: dict[str, Any]) -> bool:
    nature = str(row.get("nature") or "")
    return bool(row.get("foreign")) or nature == NGO or marked_outside(nature) or outside_mainland(row.get("country"))


def foreign_reasons(data: dict[str, Any]) -> list[str]:
    """Why a filing is 涉外, from every foreign field of its form (empty: not foreign)."""
    reasons = []
    if data.get("foreign_involved"):
        reasons.append("申请人勾选了涉外")
    for row in _rows(data, "speakers"):
        if row.get("foreign") or outside_mainland(row.get("nationality")):
            reasons.append(f"主讲人{row.get('name', '')}为境外人员（{row.get('nationality') or '境外'}）")
    if data.get("audience") == FOREIGN_AUDIENCE:
        reasons.append("参加人员含境外人员")
    if int(data.get("countries_count") or 0) >= 2:
        reasons.append(f"参会者来自 {int(data['countries_count'])} 个国家和地区")
    if int(data.get("foreign_count") or 0) > 0:
        reasons.append(f"境外人员 {int(data['foreign_count'])} 人")
    if data.get("taiwan_hk_macao"):
        reasons.append("有台湾地区或港澳代表")
    if data.get("donor_type") in FOREIGN_DONOR_TYPES:
        reasons.append(f"捐赠方为{data['donor_type']}")
    if data.get("donor_is_foreign_ngo"):
        reasons.append(f"捐赠方为{NGO}")
    if data.get("donor_type") not in FOREIGN_DONOR_TYPES and marked_outside(data.get("donor_region")):
        reasons.append(f"捐赠方所在国家或地区为{data['donor_region']}")
    if data.get("ngo_involved"):
        reasons.append(f"有{NGO}参与")
    for table in PARTY_TABLES:
        for row in _rows(data, table):
            if table != "co_hosts" or is_foreign_party(row):
                reasons.append(f"境外合作、合办或资助方：{row.get('name', '')}")
    for row in _rows(data, "key_tasks"):
        if row.get("foreign") or row.get("category") == "国际交流":
            reasons.append(f"计划事项“{row.get('name', '')}”涉外")
    return reasons


def ngo_parties(data: dict[str, Any]) -> list[str]:
    """The names of the foreign NGOs a filing involves (donor, partners, co-hosts, sponsors)."""
    names = [str(data.get("donor_name") or "捐赠方")] if data.get("donor_is_foreign_ngo") else []
    names += [str(row.get("name", "")) for table in PARTY_TABLES for row in _rows(data, table)
              if row.get("nature") == NGO]
    return names


def computed(data: dict[str, Any]) -> dict[str, Any]:
    """Filing time: 涉外 and its reasons, the foreign NGOs involved, and the NGO numbers trimmed."""
    reasons = foreign_reasons(data)
    found: dict[str, Any] = {"foreign_matter": bool(reasons), "foreign_reasons": reasons,
                             "has_foreign_ngo": bool(ngo_parties(data)), "foreign_ngo_parties": ngo_parties(data)}
    for field in ("ngo_registration_no", "ngo_temp_filing_no"):
        if field in data:
            found[field] = clean(data[field])
    for table in PARTY_TABLES:
        if any("registration_no" in row for row in _rows(data, table)):
            found[table] = [{**row, "registration_no": clean(row["registration_no"])} if "registration_no" in row
                            else row for row in data.get(table) or []]
    return found


def ngo_errors(data: dict[str, Any]) -> dict[str, str]:
    """The one rule for foreign NGOs, in every procedure with a foreign party (refusals by field)."""
    errors: dict[str, str] = {}
    if data.get("donor_is_foreign_ngo"):
        numbers = {f: clean(data.get(f)) for f in ("ngo_registration_no", "ngo_temp_filing_no")}
        bad = [f for f, v in numbers.items() if v and not is_ngo_number(v)]
        for field in bad:
            errors[field] = f"证号格式不正确（{NGO_FORMAT}），系统不予受理：{NGO_LAW}"
        if not any(numbers.values()):
            errors["ngo_registration_no"] = f"该{NGO}既无代表机构登记证号，也无临时活动备案号，系统不予受理：{NGO_LAW}"
    for table in PARTY_TABLES:
        for index, row in enumerate(_rows(data, table)):
            if row.get("nature") != NGO:
                continue
            number = clean(row.get("registration_no"))
            where = f"{table}.{index}.registration_no"
            if not number:
                errors[where] = f"{row.get('name', '')}为{NGO}，须填写代表机构登记证号或临时活动备案号，系统不予受理：{NGO_LAW}"
            elif not is_ngo_number(number):
                errors[where] = f"{row.get('name', '')}的证号格式不正确（{NGO_FORMAT}），系统不予受理：{NGO_LAW}"
    if data.get("ngo_involved") and not ngo_parties(data):
        errors["ngo_involved"] = (f"勾选了“有{NGO}参与”，但合作方中没有性质为“{NGO}”的，请逐一列出并填写登记证号"
                                  f"或临时活动备案号：{NGO_LAW}")
    return errors


def check_ngo_confirmed(session: Session, row: HumanTask, user: User, decision: str, comment: str,
                        data: dict[str, Any]) -> bool:
    """The 外事 review of a case with a foreign NGO passes only with the NGO numbers confirmed; never intercepts."""
    case = row.case
    if decision != Decision.APPROVE or not case.data.get("has_foreign_ngo"):
        return False
    form = case.definition.forms.get(row.form_key) if row.form_key else None
    if not form or CONFIRM_FIELD not in (form.get("properties") or {}) or data.get(CONFIRM_FIELD) is True:
        return False
    names = "、".join(case.data.get("foreign_ngo_parties") or [])
    raise InvalidData("外事审核须核实境外非政府组织的登记或备案", {
        CONFIRM_FIELD: f"本事项涉及{NGO}（{names}），须核实其代表机构登记证书或临时活动备案后勾选确认：{NGO_LAW}"})
