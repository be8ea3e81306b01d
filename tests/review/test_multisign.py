"""会签 / 或签 / 票签 on multi-person steps set in the diagram, and a 退回 into a countersign step."""
from __future__ import annotations

import pytest

from engine.cases import operations as cases
from engine.review import case_ops as review_ops
from engine.runtime import deploy as deployment
from engine.runtime.specs import SourceFile

from ..conftest import World, add_test_user
from .helpers import open_tasks

CONDITIONS = {
    "all": "",
    "any": "<bpmn:completionCondition>vote == 1</bpmn:completionCondition>",
    "vote": "<bpmn:completionCondition>votes_for &gt;= 2 or votes_against &gt;= 2</bpmn:completionCondition>",
}


def diagram(mode: str) -> bytes:
    """draft (经办人) → 监事 multi-person step → 秘书长审核 → end; 票签 ends 未通过 without two votes for."""
    sign_mode = '<spiffworkflow:property name="signMode" value="vote" />' if mode == "vote" else ""
    gateway = ('<bpmn:exclusiveGateway id="gw" default="f_no"><bpmn:incoming>f2</bpmn:incoming>'
               '<bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>'
               '<bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="sg"><bpmn:conditionExpression>'
               'sum(votes) &gt;= 2</bpmn:conditionExpression></bpmn:sequenceFlow>'
               '<bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end_no" />'
               '<bpmn:endEvent id="end_no" name="未通过"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>'
               '<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="gw" />') if mode == "vote" else \
        '<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="sg" />'
    incoming_sg = "f_yes" if mode == "vote" else "f2"
    lane_extra = "<bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>end_no</bpmn:flowNodeRef>" if mode == "vote" else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D_{mode}" targetNamespace="http://baguan.example/bpmn">
  <bpmn:collaboration id="C_{mode}"><bpmn:participant id="P_{mode}" name="多人审批 {mode}" processRef="sign_{mode}" /></bpmn:collaboration>
  <bpmn:process id="sign_{mode}" name="多人审批 {mode}" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="caseCode" value="DR" /></spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="LS_{mode}">
      <bpmn:lane id="L_staff" name="经办人"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>draft</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="L_sup" name="监事"><bpmn:flowNodeRef>sign</bpmn:flowNodeRef>{lane_extra}</bpmn:lane>
      <bpmn:lane id="L_sg" name="秘书长"><bpmn:flowNodeRef>sg</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="draft" name="起草"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="kind" value="draft" /></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="sign" name="监事会签"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="kind" value="review" />{sign_mode}</spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="false">
        <bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef><bpmn:loopDataOutputRef>votes</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="signer" name="signer" /><bpmn:outputDataItem id="vote" name="vote" />{CONDITIONS[mode]}
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:userTask id="sg" name="秘书长审核"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="kind" value="review" /></spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>{incoming_sg}</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="draft" />
    <bpmn:sequenceFlow id="f1" sourceRef="draft" targetRef="sign" />
    {gateway}
    <bpmn:sequenceFlow id="f3" sourceRef="sg" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture
def supervisors(world: World) -> list[str]:
    names = ["xh_sup1", "xh_sup2", "xh_sup3"]
    with world.sessions() as session, session.begin():
        for name in names:
            world.user_ids[name] = add_test_user(session, name, [("supervisor", world.org_ids["XH"])]).id
        for mode in CONDITIONS:
            deployment.deploy(session, [SourceFile(f"sign_{mode}.bpmn", diagram(mode))], [], {})
    return names


def start(world: World, mode: str) -> int:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, "xh_staff"), f"sign_{mode}", world.org(session, "XH"),
                                f"多人审批 {mode}", {}).id


def state(world: World, case_id: int) -> tuple[str, list[tuple[str, str | None]]]:
    with world.sessions() as session:
        case_status = session.get(cases.Case, case_id).status
        names = {v: k for k, v in world.user_ids.items()}
        return case_status, [(t.bpmn_id, names.get(t.assignee_id)) for t in open_tasks(session, case_id)]


def decide(world: World, username: str, case_id: int, decision: str, comment: str = "意见",
           return_to: str | None = None) -> None:
    with world.sessions() as session, session.begin():
        user = world.user(session, username)
        [task] = [t for t in open_tasks(session, case_id) if t.assignee_id == user.id or
                  (t.assignee_id is None and t.bpmn_id == "sg")]
        cases.complete_task(session, user, task.id, decision, comment, {}, return_to=return_to)


SIGNERS = [("sign", "xh_sup1"), ("sign", "xh_sup2"), ("sign", "xh_sup3")]


def test_countersign_needs_everyone(world: World, supervisors: list[str]) -> None:
    case_id = start(world, "all")
    assert state(world, case_id) == ("running", SIGNERS)
    decide(world, "xh_sup1", case_id, "approve")
    decide(world, "xh_sup3", case_id, "approve")
    assert state(world, case_id) == ("running", [("sign", "xh_sup2")])
    decide(world, "xh_sup2", case_id, "approve")
    assert state(world, case_id) == ("running", [("sg", None)])


def test_countersign_ends_when_one_disagrees(world: World, supervisors: list[str]) -> None:
    case_id = start(world, "all")
    decide(world, "xh_sup1", case_id, "approve")
    decide(world, "xh_sup2", case_id, "reject", "不同意")
    assert state(world, case_id) == ("rejected", [])


def test_or_sign_closes_the_others_tasks(world: World, supervisors: list[str]) -> None:
    case_id = start(world, "any")
    decide(world, "xh_sup2", case_id, "approve")
    assert state(world, case_id) == ("running", [("sg", None)])


def test_vote_decides_by_share(world: World, supervisors: list[str]) -> None:
    passed = start(world, "vote")
    decide(world, "xh_sup1", passed, "reject", "反对")
    assert state(world, passed)[0] == "running"
    decide(world, "xh_sup2", passed, "approve")
    decide(world, "xh_sup3", passed, "approve")
    assert state(world, passed) == ("running", [("sg", None)])
    failed = start(world, "vote")
    decide(world, "xh_sup1", failed, "reject", "反对")
    decide(world, "xh_sup2", failed, "reject", "反对")
    assert state(world, failed) == ("completed", []), "two votes against of three: the step fails"


def test_return_into_a_countersign_step_asks_every_signer_again(world: World, supervisors: list[str]) -> None:
    case_id = start(world, "all")
    for name in supervisors:
        decide(world, name, case_id, "approve")
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        options = review_ops.return_options(session, world.user(session, "xh_sg"), task.id)
        assert [o.step for o in options] == ["draft", "sign"]
    decide(world, "xh_sg", case_id, "return", "请监事再议", return_to="sign")
    assert state(world, case_id) == ("running", SIGNERS)
    for name in supervisors:
        decide(world, name, case_id, "approve")
    assert state(world, case_id) == ("running", [("sg", None)])
