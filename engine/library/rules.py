"""DMN decision tables: versioned on deploy, recorded on each case that they route, and the data the
engine computes for them (the 30-day total paid to one payee, so split payments are judged together).

Thresholds live in ``workflows/*.dmn``. Deploying a changed table (``baguan deploy path/to/table.dmn``
is enough: the processes that use it are recompiled from their stored diagrams) creates a new table
version and a new version of each dependent process; running cases keep the version they started on.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any, Iterable

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.db import utcnow
from engine.errors import ExpressionError, SandboxViolation
from engine.identity.models import Organisation, User
from engine.library import foreign
from engine.library.models import CaseDecision, DecisionTable
from engine.library.payees import payee_key, serialise_filings
from engine.runtime.models import Case, ProcessDefinition
from engine.runtime.sandbox import evaluate
from engine.runtime.specs import SourceFile
from engine.runtime.xmlsafe import parse_untrusted_xml

DMN_DECISION_TABLE = "{*}decisionTable"


def fingerprint(table: Any) -> str:
    """A stable hash of what a decision table decides: hit policy, inputs, rules and outputs."""
    content = [table.hit_policy, [i.expression for i in table.inputs], [o.name for o in table.outputs],
               [[[e.lhs for e in r.inputEntries], [e.text for e in r.outputEntries]] for r in table.rules]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def tables_in(task_specs: Iterable[Any]) -> dict[str, Any]:
    return {spec.dmnEngine.decision_table.id: spec.dmnEngine.decision_table
            for spec in task_specs if getattr(spec, "dmnEngine", None) is not None}


def table_fingerprints(task_specs: Iterable[Any]) -> dict[str, str]:
    """Deploy time: the decision tables a process uses, by fingerprint (part of its content hash)."""
    return {table_id: fingerprint(table) for table_id, table in tables_in(task_specs).items()}


def prepare_sources(session: Session, bpmn: list[SourceFile],
                    dmn: list[SourceFile]) -> tuple[list[SourceFile], list[SourceFile]]:
    """Before compiling: a changed table recompiles the processes that use it; tables a diagram uses but the
    upload lacks come from their stored versions."""
    if dmn:
        bpmn = with_dependents(session, bpmn, dmn)
    return bpmn, dmn + stored_tables_missing(session, bpmn, dmn)


def store_tables(session: Session, processes: Iterable[Any], dmn: list[SourceFile], actor: User | None) -> None:
    """A new numbered version of every decision table whose content changed."""
    sources = _sources_by_table(dmn)
    for process in processes:
        for table_id, table in tables_in([process.spec.task_specs[k] for k in process.spec.task_specs]).items():
            _store_table(session, table_id, table, sources.get(table_id), actor)


def _sources_by_table(dmn: list[SourceFile]) -> dict[str, SourceFile]:
    found = {}
    for source in dmn:
        for node in parse_untrusted_xml(source.content, source.name).getroot().iter(DMN_DECISION_TABLE):
            found[node.get("id")] = source
    return found


def _store_table(session: Session, table_id: str, table: Any, source: SourceFile | None, actor: User | None) -> None:
    mark = fingerprint(table)
    latest = latest_table(session, table_id)
    if latest is not None and latest.fingerprint == mark:
        return
    if source is None:
        return
    version = (latest.version if latest else 0) + 1
    session.add(DecisionTable(decision_id=table_id, version=version, name=table.name or table_id, fingerprint=mark,
                              source_name=source.name, dmn_xml=source.content.decode("utf-8"),
                              deployed_by=actor.id if actor else None))
    session.flush()
    audit.record(session, "rule.deployed", actor=actor, table=table_id, version=version, fingerprint=mark,
                 source=source.name)


def latest_table(session: Session, table_id: str) -> DecisionTable | None:
    return session.scalar(select(DecisionTable).where(DecisionTable.decision_id == table_id)
                          .order_by(DecisionTable.version.desc()).limit(1))


def table_version(session: Session, table_id: str, mark: str) -> int | None:
    return session.scalar(select(func.max(DecisionTable.version)).where(
        DecisionTable.decision_id == table_id, DecisionTable.fingerprint == mark))


def with_dependents(session: Session, bpmn: list[SourceFile], dmn: list[SourceFile]) -> list[SourceFile]:
    """A deploy of tables alone recompiles, from their stored diagrams, the processes that use them."""
    changed = set(_sources_by_table(dmn))
    present = {s.name for s in bpmn}
    extra = []
    for definition in _latest_definitions(session):
        uses = set((definition.properties or {}).get("decisionTables") or {})
        if uses & changed and definition.source_name not in present:
            extra.append(SourceFile(definition.source_name, definition.bpmn_xml.encode("utf-8")))
            present.add(definition.source_name)
    return bpmn + extra


def stored_tables_missing(session: Session, bpmn: list[SourceFile], dmn: list[SourceFile]) -> list[SourceFile]:
    """The latest stored version of each table a bundle's diagrams call but the bundle does not carry."""
    have = set(_sources_by_table(dmn))
    called: set[str] = set()
    for source in bpmn:
        root = parse_untrusted_xml(source.content, source.name).getroot()
        called.update(n.text.strip() for n in root.iter("{*}calledDecisionId") if n.text)
    extra = []
    for row in session.scalars(select(DecisionTable).order_by(DecisionTable.version.desc())):
        if row.decision_id not in have and _decision_ids(row.dmn_xml) & called:
            extra.append(SourceFile(row.source_name, row.dmn_xml.encode("utf-8")))
            have.add(row.decision_id)
    return extra


def _decision_ids(xml: str) -> set[str]:
    root = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    return {n.get("id") for n in root.iter("{*}decision")}


def _latest_definitions(session: Session) -> list[ProcessDefinition]:
    from engine.runtime.deploy import latest_definitions
    return latest_definitions(session)


def record_decisions(session: Session, case: Case, workflow: BpmnWorkflow) -> None:
    """Record (once) every decision-table evaluation of the case: table, version, inputs and result."""
    evaluated = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if getattr(t.task_spec, "dmnEngine", None)]
    if not evaluated:
        return
    done = {t for t in session.scalars(select(CaseDecision.spiff_task_id).where(CaseDecision.case_id == case.id))}
    for task in evaluated:
        engine = task.task_spec.dmnEngine
        if str(task.id) in done:
            continue
        table = engine.decision_table
        mark = fingerprint(table)
        inputs = {i.expression: _safe_eval(i.expression, task.data) for i in table.inputs if i.expression}
        result = {o.name: task.data.get(o.name) for o in table.outputs if o.name}
        version = table_version(session, table.id, mark)
        session.add(CaseDecision(case_id=case.id, spiff_task_id=str(task.id), step=task.task_spec.bpmn_id,
                                 decision_id=table.id, table_version=version, fingerprint=mark,
                                 inputs=inputs, result=result))
        audit.record(session, "rule.decided", org_id=case.org_id, case_id=case.id, step=task.task_spec.bpmn_id,
                     table=table.id, table_version=version, inputs=inputs, result=result)
    session.flush()


def _safe_eval(expression: str, data: dict[str, Any]) -> Any:
    try:
        return evaluate(expression, dict(data))
    except (ExpressionError, SandboxViolation, KeyError, NameError, TypeError):
        return None


def computed_data(session: Session, definition: ProcessDefinition, org: Organisation, data: dict[str, Any],
                  case_id: int | None = None) -> dict[str, Any]:
    """Engine-computed inputs for the gateways: ``splitKey``/``splitAmount``/``splitWindowDays`` give
    ``amount_total``, the amount plus what this payee got from the same process in the window (payees are
    compared by ``payees.payee_key`` and filings for one payee are serialised, ``payees.serialise_filings``);
    and 涉外 (``foreign_matter``, from every foreign field of the form, see engine.library.foreign)."""
    properties = definition.properties or {}
    flags = {**any_flags(properties, data), **foreign.computed(data)}
    key, amount_field = properties.get("splitKey"), properties.get("splitAmount")
    if not key or not amount_field or amount_field not in data:
        return flags
    window = int(properties.get("splitWindowDays") or 30)
    since = utcnow() - timedelta(days=window)
    payee = payee_key(data.get(key))
    serialise_filings(session, f"{org.id}:{definition.key}", payee)
    rows = session.execute(select(Case.id, Case.data).where(
        Case.org_id == org.id, Case.process_key == definition.key, Case.created_at >= since,
        Case.status.in_(("running", "completed")))).all()
    prior = [r.data for r in rows if r.id != case_id and payee and payee_key(r.data.get(key)) == payee]
    earlier = sum(float(d.get(amount_field) or 0) for d in prior)
    return {**flags, "amount_total": float(data[amount_field]) + earlier, "split_prior_count": len(prior),
            "split_prior_total": earlier}


def any_flags(properties: dict[str, Any], data: dict[str, Any]) -> dict[str, bool]:
    """``anyFlags="key_tasks.foreign:has_foreign_items"``: true when any row of the table has the column set."""
    flags = {}
    for item in filter(None, (p.strip() for p in str(properties.get("anyFlags") or "").split(","))):
        path, _, name = item.partition(":")
        table, _, column = path.partition(".")
        flags[name.strip()] = any(bool(row.get(column)) for row in data.get(table) or [] if isinstance(row, dict))
    return flags

