"""Storing compiled processes as immutable numbered versions, and the cache of restored specs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import forms as form_lib
from engine import journal as audit
from engine.errors import DeployRejected, NotFound
from engine.identity.models import User
from engine.runtime.doc_sanitize import sanitize_documentation
from engine.runtime.extensions import installed
from engine.runtime.models import ProcessDefinition
from engine.runtime.serialization import dump_specs, load_specs
from engine.runtime.specs import CompiledProcess, SourceFile, compile_bundle


@dataclass(frozen=True)
class DeployResult:
    key: str
    name: str
    version: int
    created: bool


def read_sources(paths: Iterable[Path]) -> tuple[list[SourceFile], list[SourceFile], dict[str, dict[str, Any]]]:
    """Collect BPMN, DMN and form files from files or directories."""
    bpmn: list[SourceFile] = []
    dmn: list[SourceFile] = []
    forms: dict[str, dict[str, Any]] = {}
    for path in paths:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        if not path.exists():
            raise DeployRejected(f"路径不存在：{path}")
        for file in files:
            _add_source(file, bpmn, dmn, forms)
    return bpmn, dmn, forms


def _add_source(file: Path, bpmn: list[SourceFile], dmn: list[SourceFile], forms: dict[str, dict[str, Any]]) -> None:
    suffix = file.suffix.lower()
    if suffix == ".bpmn":
        bpmn.append(SourceFile(file.name, file.read_bytes()))
    elif suffix == ".dmn":
        dmn.append(SourceFile(file.name, file.read_bytes()))
    elif suffix == ".json":
        try:
            key, schema = form_lib.load_form_file(file)
        except form_lib.FormError as exc:
            raise DeployRejected(str(exc)) from None
        forms[key] = schema


def deploy(session: Session, bpmn: list[SourceFile], dmn: list[SourceFile], forms: dict[str, dict[str, Any]],
           actor: User | None = None, fallback_forms: dict[str, dict[str, Any]] | None = None,
           comment: str | None = None) -> list[DeployResult]:
    """Compile and store every process; a new version only when its content changed (``comment``: why)."""
    available = {**(fallback_forms or {}), **forms}
    bpmn = [sanitize_documentation(source) for source in bpmn]
    for prepare in installed().before_compile:
        bpmn, dmn = prepare(session, bpmn, dmn)
    compiled = compile_bundle(bpmn, dmn, available)
    for store in installed().after_compile:
        store(session, compiled, dmn, actor)
    return [_store(session, process, actor, comment) for process in compiled]


def _store(session: Session, process: CompiledProcess, actor: User | None, comment: str | None = None) -> DeployResult:
    latest = latest_definition(session, process.key, required=False)
    if latest is not None and latest.content_hash == process.content_hash:
        return DeployResult(process.key, latest.name, latest.version, False)
    version = (latest.version if latest else 0) + 1
    draft = next((t for t in process.user_tasks if t.kind == "draft"), None)
    definition = ProcessDefinition(
        key=process.key, version=version, name=process.name, content_hash=process.content_hash,
        source_name=process.source.name, bpmn_xml=process.source.content.decode("utf-8"),
        spec_json=dump_specs(process.spec, process.subprocess_specs), forms=process.forms,
        properties={**process.properties, "startRole": draft.role if draft else None}, deployed_by=actor.id if actor else None,
        comment=comment)
    session.add(definition)
    session.flush()
    audit.record(session, "process.deployed", actor=actor, process=process.key, version=version,
                 content_hash=process.content_hash, source=process.source.name, comment=comment or "")
    return DeployResult(process.key, process.name, version, True)


def latest_definition(session: Session, key: str, required: bool = True) -> ProcessDefinition | None:
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                .order_by(ProcessDefinition.version.desc()).limit(1))
    if definition is None and required:
        raise NotFound(f"流程 {key} 不存在")
    return definition


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.key).subquery())
    stmt = select(ProcessDefinition).join(newest, (ProcessDefinition.key == newest.c.key)
                                          & (ProcessDefinition.version == newest.c.version))
    return list(session.scalars(stmt.order_by(ProcessDefinition.key)))


_SPEC_CACHE: dict[tuple[int, str], tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]] = {}
_SPEC_CACHE_SIZE = 256


def specs_for(definition: ProcessDefinition) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Restored specs, cached per definition content; specs are shared read-only between instances.

    The large ``spec_json`` column is read only on a cache miss.
    """
    key = (definition.id, definition.content_hash)
    cached = _SPEC_CACHE.get(key)
    if cached is None:
        if len(_SPEC_CACHE) >= _SPEC_CACHE_SIZE:
            _SPEC_CACHE.pop(next(iter(_SPEC_CACHE)))
        cached = _SPEC_CACHE[key] = load_specs(definition.spec_json)
    return cached


def process_keys(session: Session) -> set[str]:
    """The key of every process ever deployed."""
    return set(session.scalars(select(ProcessDefinition.key).distinct()))
