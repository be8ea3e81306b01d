"""Edited versions of the annual work-plan diagram, as an admin would make them in the studio."""
from __future__ import annotations

from ..conftest import PROJECT_ROOT

ANNUAL_PLAN = (PROJECT_ROOT / "workflows" / "annual_plan.bpmn").read_text(encoding="utf-8")
FINANCE_STEP = "财务审核"


def with_finance_review(source: str = ANNUAL_PLAN) -> str:
    """A 财务 review (form sg_review, 2 working days) inserted between 秘书长审核 and 党组织前置审查."""
    task = ('<bpmn:userTask id="finance_review" name="财务审核"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="kind" value="review" /><spiffworkflow:property name="formKey" value="sg_review" />'
            '<spiffworkflow:property name="dueDays" value="2" /></spiffworkflow:properties></bpmn:extensionElements>'
            '<bpmn:incoming>f_sg_review</bpmn:incoming><bpmn:outgoing>f_finance</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:sequenceFlow id="f_finance" sourceRef="finance_review" targetRef="party_review" />')
    lane = '<bpmn:lane id="Lane_finance" name="财务"><bpmn:flowNodeRef>finance_review</bpmn:flowNodeRef></bpmn:lane>'
    text = source.replace('<bpmn:sequenceFlow id="f_sg_review" sourceRef="sg_review" targetRef="party_review" />',
                          '<bpmn:sequenceFlow id="f_sg_review" sourceRef="sg_review" targetRef="finance_review" />' + task)
    text = text.replace("<bpmn:incoming>f_sg_review</bpmn:incoming><bpmn:outgoing>f_party_review</bpmn:outgoing>",
                        "<bpmn:incoming>f_finance</bpmn:incoming><bpmn:outgoing>f_party_review</bpmn:outgoing>")
    text = text.replace("</bpmn:laneSet>", lane + "</bpmn:laneSet>")
    assert text.count("finance_review") >= 4
    return text


def without_sg_review(source: str = ANNUAL_PLAN) -> str:
    """秘书长审核 removed: the draft goes straight to the party review."""
    start = source.index('<bpmn:userTask id="sg_review"')
    end = source.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    text = source[:start] + source[end:]
    text = text.replace('<bpmn:sequenceFlow id="f_draft" sourceRef="draft" targetRef="sg_review" />', "")
    text = text.replace('<bpmn:sequenceFlow id="f_sg_review" sourceRef="sg_review" targetRef="party_review" />',
                        '<bpmn:sequenceFlow id="f_sg_review" sourceRef="draft" targetRef="party_review" />')
    text = text.replace("<bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_draft</bpmn:outgoing>",
                        "<bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_sg_review</bpmn:outgoing>")
    text = text.replace("<bpmn:flowNodeRef>sg_review</bpmn:flowNodeRef>", "")
    for shape in ('<bpmndi:BPMNShape id="sg_review_di"', '<bpmndi:BPMNEdge id="f_draft_di"'):
        if shape in text:
            s = text.index(shape)
            e = text.index("</bpmndi:", s)
            e = text.index(">", e) + 1
            text = text[:s] + text[e:]
    return text
