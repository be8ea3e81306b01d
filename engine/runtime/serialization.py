"""The configured SpiffWorkflow serializer and the split between stored specs and instance state."""
from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.runtime.sandbox import SAFE_SCRIPT_ENGINE

REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
SERIALIZER = BpmnWorkflowSerializer(REGISTRY)
SERIALIZER_VERSION: str = SERIALIZER.VERSION


def dump_specs(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    return json.dumps({
        "spec": REGISTRY.convert(spec),
        "subprocess_specs": {k: REGISTRY.convert(v) for k, v in subprocess_specs.items()},
    }, ensure_ascii=False, sort_keys=True)


def load_specs(spec_json: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    raw = json.loads(spec_json)
    spec = REGISTRY.restore(raw["spec"])
    subs = {k: REGISTRY.restore(v) for k, v in raw["subprocess_specs"].items()}
    return spec, subs


def dump_state(workflow: BpmnWorkflow) -> str:
    """Serialize the instance state only; the spec lives once on its process definition row."""
    dct = SERIALIZER.to_dict(workflow)
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
    return json.dumps(dct, ensure_ascii=False)


def load_state(state: str, version: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> BpmnWorkflow:
    """Rebuild a workflow from stored state and cached specs, with the sandboxed engine re-attached."""
    dct: dict[str, Any] = json.loads(state)
    dct["spec"] = spec
    dct["subprocess_specs"] = dict(subprocess_specs)
    if version != SERIALIZER_VERSION:
        dct["serializer_version"] = version
        SERIALIZER.migrate(dct)
    workflow: BpmnWorkflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = SAFE_SCRIPT_ENGINE
    return workflow
