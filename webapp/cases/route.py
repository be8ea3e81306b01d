"""流程进度 as the case, task and print pages show it: engine.cases.route's steps with each step's own form answers."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy.orm import Session

from engine.cases import confidential
from engine.cases.route import RouteState, RouteStep, case_route
from engine.runtime.models import Case

from .. import formrender
from ..opinion import opinion_field
from .context import field_prop


@dataclass(frozen=True)
class RouteItem:
    step: RouteStep
    details: Markup | None = None

    @property
    def state(self) -> str:
        return self.step.state.value


def route_view(session: Session, case: Case, hidden: frozenset[str] = frozenset()) -> list[RouteItem]:
    """The route with each done step's form answers; ``hidden``: confidential fields this reader may not see."""
    return [RouteItem(step, _details(case, step, hidden)) for step in case_route(session, case)]


def _details(case: Case, step: RouteStep, hidden: frozenset[str]) -> Markup | None:
    """What a reviewer entered in the step's form besides the opinion already shown (e.g. 收支预算已核对)."""
    schema = case.definition.forms.get(step.form_key) if step.form_key else None
    if step.state != RouteState.DONE or step.decision == "submit" or not step.submitted or schema is None:
        return None
    opinion = opinion_field(schema, "review")
    data = dict(step.submitted)
    if opinion is not None and str(data.get(opinion.key) or "").strip() == step.comment.strip():
        data.pop(opinion.key, None)
    return formrender.render_readonly(schema, confidential.redact(data, hidden)) if data else None


REFERENCE_FIELDS = ("filing_number", "approval_number", "fao_number", "establish_number", "receipt_number",
                    "voucher_number", "minutes_number")


def references(case: Case) -> list[tuple[str, str]]:
    """The 备案/批复 numbers and other reference numbers the case has collected, titled from its forms."""
    data = case.data or {}
    found = []
    for key in REFERENCE_FIELDS:
        if data.get(key):
            found.append((str(field_prop(case.definition.forms, key).get("title") or key), str(data[key])))
    return found


def meeting_words(data: dict[str, object]) -> str | None:
    """A council vote in one sentence: attendance, quorum, the votes and whether the motion passed."""
    result = data.get("meeting_result")
    if not isinstance(result, dict):
        return None
    kind = str(data.get("meeting_type") or "会议")
    date = f"（{data['meeting_date']}）" if data.get("meeting_date") else ""
    return (f"{kind}{date}应到 {data.get('expected_count', '—')} 人，实到 {data.get('present_count', '—')} 人，"
            f"{'达到' if result.get('quorum_reached') else '未达到'}法定人数（{result.get('quorum', '—')}）；"
            f"同意 {data.get('votes_for', '—')} 票、反对 {data.get('votes_against', '—')} 票、"
            f"弃权 {data.get('votes_abstain', '—')} 票，须至少 {result.get('required_for', '—')} 票"
            f"（{result.get('majority', '—')}），{'表决通过' if result.get('passed') else '表决未通过'}。")
