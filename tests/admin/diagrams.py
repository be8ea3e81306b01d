"""Edited versions of the annual work-plan diagram, as an admin would make them in the studio."""
from __future__ import annotations

from ..conftest import PROJECT_ROOT

ANNUAL_PLAN = (PROJECT_ROOT / "workflows" / "annual_plan.bpmn").read_text(encoding="utf-8")
ADDED_STEP = "监事审核"
SG_TO_FINANCE = '<bpmn:sequenceFlow id="f_sg_review_finance_check" sourceRef="sg_review" targetRef="finance_check" />'
FINANCE_FLOWS = ("<bpmn:incoming>f_sg_review_finance_check</bpmn:incoming>"
                 "<bpmn:outgoing>f_finance_check_gw_foreign</bpmn:outgoing>")


def with_supervisor_review(source: str = ANNUAL_PLAN) -> str:
    """A 监事 review (form sg_review, 2 working days) inserted between 秘书长审核 and 财务审核."""
    task = ('<bpmn:userTask id="supervisor_review" name="监事审核"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="kind" value="review" /><spiffworkflow:property name="formKey" value="sg_review" />'
            '<spiffworkflow:property name="dueDays" value="2" /></spiffworkflow:properties></bpmn:extensionElements>'
            '<bpmn:incoming>f_sg_review_finance_check</bpmn:incoming><bpmn:outgoing>f_supervisor</bpmn:outgoing>'
            '</bpmn:userTask>'
            '<bpmn:sequenceFlow id="f_supervisor" sourceRef="supervisor_review" targetRef="finance_check" />')
    lane = '<bpmn:lane id="Lane_supervisor" name="监事"><bpmn:flowNodeRef>supervisor_review</bpmn:flowNodeRef></bpmn:lane>'
    assert SG_TO_FINANCE in source and FINANCE_FLOWS in source
    text = source.replace(SG_TO_FINANCE, SG_TO_FINANCE.replace('targetRef="finance_check"',
                                                               'targetRef="supervisor_review"') + task)
    text = text.replace(FINANCE_FLOWS, FINANCE_FLOWS.replace("f_sg_review_finance_check", "f_supervisor"))
    text = text.replace("</bpmn:laneSet>", lane + "</bpmn:laneSet>")
    assert text.count("supervisor_review") >= 4
    return text


def without_sg_review(source: str = ANNUAL_PLAN) -> str:
    """秘书长审核 removed: the draft goes straight to the finance check."""
    start = source.index('<bpmn:userTask id="sg_review"')
    end = source.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    text = source[:start] + source[end:]
    text = text.replace('<bpmn:sequenceFlow id="f_draft_sg_review" sourceRef="draft" targetRef="sg_review" />', "")
    text = text.replace(SG_TO_FINANCE, SG_TO_FINANCE.replace('sourceRef="sg_review"', 'sourceRef="draft"'))
    text = text.replace("<bpmn:incoming>f_start_draft</bpmn:incoming><bpmn:outgoing>f_draft_sg_review</bpmn:outgoing>",
                        "<bpmn:incoming>f_start_draft</bpmn:incoming>"
                        "<bpmn:outgoing>f_sg_review_finance_check</bpmn:outgoing>")
    text = text.replace("<bpmn:flowNodeRef>sg_review</bpmn:flowNodeRef>", "")
    for shape in ('<bpmndi:BPMNShape id="sg_review_di"', '<bpmndi:BPMNEdge id="f_draft_sg_review_di"'):
        if shape in text:
            s = text.index(shape)
            e = text.index("</bpmndi:", s)
            e = text.index(">", e) + 1
            text = text[:s] + text[e:]
    return text
