"""The admin studio's operations on process versions: validate, deploy with a reason, list and roll back.

Everything an admin uploads or edits goes through ``specs.compile_bundle`` (hardened parse, schema, sandbox,
graph and lane/form checks) exactly like the command line; nothing is stored when any check fails.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from engine import journal as audit
from engine.errors import BadRequest, Conflict, DeployRejected, InvalidData, NotFound
from engine.identity.models import User
from engine.runtime.deploy import (
    DeployResult,
    deploy,
    latest_definition,
    latest_definitions,
)
from engine.runtime.models import ProcessDefinition
from engine.runtime.specs import SourceFile, compile_bundle

MAX_COMMENT = 500


def deployed_forms(session: Session) -> dict[str, dict[str, Any]]:
    """The forms of every process's latest version: a diagram may use any form already deployed."""
    forms: dict[str, dict[str, Any]] = {}
    for definition in latest_definitions(session):
        forms.update(definition.forms or {})
    return forms


def _bundle(bpmn: bytes, name: str, dmn: dict[str, bytes] | None) -> tuple[list[SourceFile], list[SourceFile]]:
    if not name.lower().endswith(".bpmn"):
        raise BadRequest("只能上传 .bpmn 文件")
    tables = [SourceFile(table, content) for table, content in (dmn or {}).items() if table.lower().endswith(".dmn")]
    if len(tables) != len(dmn or {}):
        raise BadRequest("决策表文件名必须以 .dmn 结尾")
    return [SourceFile(name, bpmn)], tables


def validate_diagram(session: Session, bpmn: bytes, name: str, dmn: dict[str, bytes] | None = None,
                     forms: dict[str, dict[str, Any]] | None = None) -> list[dict[str, str | None]]:
    """The problems a deploy would refuse with ([] when it would deploy); nothing is stored."""
    diagrams, tables = _bundle(bpmn, name, dmn)
    try:
        compile_bundle(diagrams, tables, {**deployed_forms(session), **(forms or {})})
    except DeployRejected as exc:
        return exc.details
    return []


def deploy_diagram(session: Session, actor: User, bpmn: bytes, name: str, comment: str,
                   dmn: dict[str, bytes] | None = None, forms: dict[str, dict[str, Any]] | None = None) -> DeployResult:
    """Deploy one diagram (with its decision tables and edited forms) as a new version, saying why."""
    comment = _clean_comment(comment)
    diagrams, tables = _bundle(bpmn, name, dmn)
    results = deploy(session, diagrams, tables, forms or {}, actor=actor, fallback_forms=deployed_forms(session),
                     comment=comment)
    if len(results) != 1:
        raise DeployRejected("部署被拒绝", ["一个流程图只能包含一个可执行流程"])
    return results[0]


def deploy_tables(session: Session, actor: User, name: str, content: bytes, comment: str) -> list[DeployResult]:
    """Deploy an edited DMN file: every process calling its tables is recompiled into a new version."""
    comment = _clean_comment(comment)
    if not name.lower().endswith(".dmn"):
        raise BadRequest("决策表文件名必须以 .dmn 结尾")
    return deploy(session, [], [SourceFile(name, content)], {}, actor=actor, fallback_forms=deployed_forms(session),
                  comment=comment)


def _clean_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if not comment or len(comment) > MAX_COMMENT or "\x00" in comment:
        raise InvalidData("请填写部署说明", {"comment": f"请说明本次修改的原因（不超过 {MAX_COMMENT} 字）"})
    return comment


def versions(session: Session, key: str) -> list[ProcessDefinition]:
    rows = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                .order_by(ProcessDefinition.version.desc())))
    if not rows:
        raise NotFound(f"流程 {key} 不存在")
    return rows


def get_version(session: Session, key: str, version: int) -> ProcessDefinition:
    row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
                         .options(undefer(ProcessDefinition.bpmn_xml)))
    if row is None:
        raise NotFound(f"流程 {key} 没有第 {version} 版")
    return row


def rollback(session: Session, actor: User, key: str, version: int, comment: str) -> ProcessDefinition:
    """Deploy an earlier version again as a new, numbered version (history is never rewritten)."""
    comment = _clean_comment(comment)
    old = get_version(session, key, version)
    latest = latest_definition(session, key)
    assert latest is not None
    if latest.content_hash == old.content_hash:
        raise Conflict(f"第 {version} 版与当前版本内容相同，无需回滚")
    copy = ProcessDefinition(
        key=key, version=latest.version + 1, name=old.name, content_hash=old.content_hash, source_name=old.source_name,
        bpmn_xml=old.bpmn_xml, spec_json=session.scalar(select(ProcessDefinition.spec_json)
                                                        .where(ProcessDefinition.id == old.id)),
        forms=old.forms, properties=old.properties, deployed_by=actor.id, comment=comment)
    session.add(copy)
    session.flush()
    audit.record(session, "process.deployed", actor=actor, process=key, version=copy.version,
                 content_hash=copy.content_hash, source=copy.source_name, comment=comment, rolled_back_from=version)
    return copy
