"""Hostile and broken BPMN documents, built from one small valid process so each differs by one thing."""
from __future__ import annotations

import gzip
from pathlib import Path
from xml.sax.saxutils import escape

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
PROCESS_KEY = "probe"
INLINE_NODE_FLOWS = ('<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="{node}"/>'
                '<bpmn:sequenceFlow id="f_in" sourceRef="{node}" targetRef="review"/>')


def process(middle: str = "", review_lane: str = "秘书长", draft_extensions: str = "",
            documentation: str = "探针流程", draft_props: str = "") -> str:
    """A valid process: start → draft (经办人) → [middle] → review (秘书长 by default) → end."""
    flows = middle or '<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="review"/>'
    into_review = "f_in" if middle else "f2"
    return f'''{XML_DECL}<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="http://baguan.test">
<bpmn:process id="{PROCESS_KEY}" name="探针" isExecutable="true">
  <bpmn:documentation>{documentation}</bpmn:documentation>
  <bpmn:laneSet id="lanes">
    <bpmn:lane id="lane_staff" name="经办人"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>draft</bpmn:flowNodeRef></bpmn:lane>
    <bpmn:lane id="lane_review" name="{review_lane}"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>
  </bpmn:laneSet>
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="draft" name="起草">
    <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="kind" value="draft"/>{draft_props}</spiffworkflow:properties>{draft_extensions}</bpmn:extensionElements>
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
  </bpmn:userTask>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft"/>
  {flows}
  <bpmn:userTask id="review" name="审核"><bpmn:incoming>{into_review}</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
  <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
</bpmn:process>
</bpmn:definitions>
'''


def gateway(condition: str) -> str:
    """An exclusive gateway ``gw`` whose conditional flow carries ``condition``."""
    return f'''<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="gw"/>
  <bpmn:exclusiveGateway id="gw" default="f_default"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_cond</bpmn:outgoing><bpmn:outgoing>f_default</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_cond" sourceRef="gw" targetRef="join"><bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_default" sourceRef="gw" targetRef="join"/>
  <bpmn:exclusiveGateway id="join"><bpmn:incoming>f_cond</bpmn:incoming><bpmn:incoming>f_default</bpmn:incoming><bpmn:outgoing>f_in</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_in" sourceRef="join" targetRef="review"/>'''


def script_task(code: str) -> str:
    return (f'<bpmn:scriptTask id="calc"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_in</bpmn:outgoing>'
            f'<bpmn:script>{escape(code)}</bpmn:script></bpmn:scriptTask>' + INLINE_NODE_FLOWS.format(node="calc"))


def timer(expression: str) -> str:
    return (f'<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_in</bpmn:outgoing>'
            f'<bpmn:timerEventDefinition id="wait_def"><bpmn:timeDuration>{escape(expression)}</bpmn:timeDuration>'
            f'</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>' + INLINE_NODE_FLOWS.format(node="wait"))


def pre_script(code: str) -> str:
    return process(draft_extensions=f"<spiffworkflow:preScript>{escape(code)}</spiffworkflow:preScript>")


def with_doctype(doctype: str, documentation: str) -> str:
    """The valid process with a DOCTYPE inserted and ``documentation`` (entity references) as a text node."""
    return XML_DECL + doctype + "\n" + process(documentation=documentation).removeprefix(XML_DECL)


def xxe_file(canary: Path) -> str:
    return with_doctype(f'<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file://{canary}">]>', "&xxe;")


def external_dtd(url: str) -> str:
    return with_doctype(f'<!DOCTYPE bpmn:definitions SYSTEM "{url}">', "&leak;")


def parameter_entity(url: str) -> str:
    return with_doctype(f'<!DOCTYPE bpmn:definitions [<!ENTITY % remote SYSTEM "{url}"> %remote;]>', "&leak;")


def billion_laughs() -> str:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return with_doctype(f'<!DOCTYPE bpmn:definitions [<!ENTITY l0 "lol">{levels}]>', "&l9;")


def quadratic_blowup() -> str:
    return with_doctype(f'<!DOCTYPE bpmn:definitions [<!ENTITY a "{"x" * 60_000}">]>', "&a;" * 20_000)


def utf16_doctype(canary: Path) -> bytes:
    return xxe_file(canary).replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def oversized() -> str:
    return process(documentation="填充" * (1_200_000))


def too_many_elements() -> str:
    return process().replace("</bpmn:process>", "<bpmn:documentation/>" * 25_000 + "</bpmn:process>")


def truncated() -> str:
    text = process()
    return text[: len(text) // 2]


def duplicate_ids() -> str:
    return process().replace('<bpmn:userTask id="review"', '<bpmn:userTask id="draft"')


def no_start_event() -> str:
    return (process().replace('<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>', "")
            .replace('<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft"/>', "")
            .replace("<bpmn:incoming>f1</bpmn:incoming>", "").replace("<bpmn:flowNodeRef>start</bpmn:flowNodeRef>", ""))


def wrong_namespace() -> str:
    return process().replace(BPMN_NS, "http://example.com/not-bpmn")


def gzipped() -> bytes:
    return gzip.compress(process().encode("utf-8"))


def without_lanes() -> str:
    text = process()
    return text[: text.index("<bpmn:laneSet")] + text[text.index("</bpmn:laneSet>") + len("</bpmn:laneSet>"):]


def unknown_form() -> str:
    return process(draft_props='<spiffworkflow:property name="formKey" value="no_such_form"/>')


def gateway_after_review(condition: str) -> str:
    """start → draft (form annual_plan) → review (秘书长) → gw: [condition] → president (理事长) | default → end.

    The gateway runs only when the review is completed, i.e. on a workflow restored from the database.
    """
    text = process(draft_props='<spiffworkflow:property name="formKey" value="annual_plan"/>')
    text = text.replace('<bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>', '<bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>\n'
                        '<bpmn:userTask id="president" name="理事长复核"><bpmn:incoming>f_cond</bpmn:incoming>'
                        '<bpmn:outgoing>f_done</bpmn:outgoing></bpmn:userTask>')
    text = text.replace('<bpmn:lane id="lane_review" name="秘书长"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>',
                        '<bpmn:lane id="lane_review" name="秘书长"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>'
                        '<bpmn:lane id="lane_president" name="理事长"><bpmn:flowNodeRef>president</bpmn:flowNodeRef></bpmn:lane>')
    return text.replace(
        '<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>\n  <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>',
        f'''<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="gw"/>
  <bpmn:exclusiveGateway id="gw" default="f_default"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f_cond</bpmn:outgoing><bpmn:outgoing>f_default</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_cond" sourceRef="gw" targetRef="president"><bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_default" sourceRef="gw" targetRef="end"/>
  <bpmn:sequenceFlow id="f_done" sourceRef="president" targetRef="end"/>
  <bpmn:endEvent id="end"><bpmn:incoming>f_default</bpmn:incoming><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>''')


def xinclude(canary: Path) -> str:
    return process().replace("</bpmn:process>", '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                             f'href="file://{canary}" parse="text"/></bpmn:process>')


def utf16_without_doctype() -> bytes:
    return process().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def deep_nesting(depth: int = 5000) -> str:
    return process().replace(
        "</bpmn:process>", "<bpmn:extensionElements>" + "<x>" * depth + "</x>" * depth
        + "</bpmn:extensionElements></bpmn:process>")


def script_loop(iterations: int) -> str:
    """draft → init (count = 0) → step (count += 1) → gw: count < N back to step, else → review."""
    return process(f'''<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="init"/>
  <bpmn:scriptTask id="init"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_init</bpmn:outgoing><bpmn:script>count = 0</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f_init" sourceRef="init" targetRef="step"/>
  <bpmn:scriptTask id="step"><bpmn:incoming>f_init</bpmn:incoming><bpmn:incoming>f_again</bpmn:incoming><bpmn:outgoing>f_step</bpmn:outgoing><bpmn:script>count += 1</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f_step" sourceRef="step" targetRef="gw"/>
  <bpmn:exclusiveGateway id="gw" default="f_in"><bpmn:incoming>f_step</bpmn:incoming><bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_in</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="step"><bpmn:conditionExpression>count &lt; {iterations}</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_in" sourceRef="gw" targetRef="review"/>''')


def cycle_without_gateway() -> str:
    """review flows straight back to draft: SpiffWorkflow's prediction would recurse without end."""
    return (process().replace('sourceRef="review" targetRef="end"', 'sourceRef="review" targetRef="draft"')
            .replace("<bpmn:incoming>f1</bpmn:incoming>", "<bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>")
            .replace('<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>', '<bpmn:endEvent id="end"/>'))
