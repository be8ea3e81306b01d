"""What the case and task pages show, gathered from engine.queries: forms, opinions, history entries."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

import forms as form_lib
from engine.cases import confidential as confidential
from engine.cases import form_rules
from engine.cases import queries as queries
from engine.cases.api_views import start_form
from engine.identity.models import Organisation, User
from engine.journal import AuditEvent
from engine.runtime.models import Case, HumanTask
from engine.vocabulary import COMPUTED_FIELDS

from .. import formrender
from ..templating import audit_label, status_label
from ..timeline import step_text

Schema = dict[str, Any]
CASE_ACTIONS = ("case.started", "task.completed", "case.completed", "case.recalled", "case.withdrawn", "case.copied",
                "case.copy_read", "case.urged", "task.transferred", "task.delegated", "task.delegate_resolved",
                "task.signer_added", "task.signer_removed", "task.signed", "task.signer_opinion", "task.draft_saved",
                "attachment.added", "task.batch_completed")


def step_schema(case: Case, task: HumanTask) -> Schema | None:
    return case.definition.forms.get(task.form_key) if task.form_key else None


def reference_choices(session: Session, schema: Schema | None,
                      orgs: list[Organisation]) -> dict[str, list[tuple[str, str]]]:
    """The picker of each field that names a completed case (``x-caseRef``): those of the given societies."""
    names = {o.id: o.name for o in orgs}
    return {field: [(c.number, f"{c.title}（{names[c.org_id]}）" if len(orgs) > 1 else c.title)
                    for c in form_rules.completed_cases(session, list(names), process_key)]
            for field, process_key in form_lib.case_refs(schema).items()}


def approval_checks(schema: Schema | None) -> list[str]:
    """What 同意 requires, as “预算余额充足：是” lines shown above the form."""
    shown = {True: "是", False: "否"}
    return [f"{title}：{shown.get(v, v) if isinstance(v, bool) else v}"
            for title, v in form_lib.approval_checks(schema or {}).items()]


def draft_schema(tasks: list[HumanTask], case: Case) -> Schema | None:
    """The form the case data was filed with, titled for reading."""
    draft = next((t for t in tasks if t.kind == "draft" and t.form_key), None)
    return step_schema(case, draft) if draft else start_form(case.definition)


def completed_steps(tasks: list[HumanTask]) -> list[HumanTask]:
    done = [t for t in tasks if t.status == "completed" and t.completed_at is not None]
    return sorted(done, key=lambda t: (t.completed_at, t.id))


@dataclass
class CasePage:
    """A case with everything its pages show."""

    case: Case
    tasks: list[HumanTask]
    data_schema: Schema | None
    opinions: list[HumanTask]
    open_tasks: list[HumanTask] = field(default_factory=list)
    hidden: frozenset[str] = frozenset()

    @property
    def data(self) -> dict[str, Any]:
        """The case data as the reader may see it (confidential fields masked)."""
        shown: dict[str, Any] = confidential.redact(self.case.data, self.hidden)
        return shown


def case_page(session: Session, case: Case, reader: User) -> CasePage:
    tasks = queries.case_tasks(session, case)
    return CasePage(case=case, tasks=tasks, data_schema=draft_schema(tasks, case), opinions=completed_steps(tasks),
                    open_tasks=[t for t in tasks if t.status == "open"],
                    hidden=confidential.hidden_fields(session, reader, case))


@dataclass(frozen=True)
class Change:
    title: str
    before: Markup
    after: Markup
    wide: bool = False


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    label: str
    kind: str
    step: str
    comment: str
    changes: list[Change]
    filled: list[tuple[str, Markup]]


def history_entries(case: Case, events: list[AuditEvent], hidden: frozenset[str] = frozenset()) -> list[HistoryEntry]:
    """The case's own events (filing, decisions, completion) for its timeline, oldest first; ``hidden``
    confidential fields show masked."""
    entries = []
    for event in events:
        if event.action not in CASE_ACTIONS:
            continue
        detail = confidential.redact_detail(event.detail or {}, hidden)
        kind = str(detail.get("decision") or event.action.split(".")[-1])
        step = status_label(case) if event.action == "case.completed" else step_text(event, str(detail.get("step_name") or ""))
        changed = detail.get("changed") if isinstance(detail.get("changed"), dict) else {}
        fresh = all(_before(v) is None for v in changed.values())
        entries.append(HistoryEntry(
            event, audit_label(event.action, detail), kind, step, str(detail.get("comment") or ""),
            [] if fresh else field_changes(case, changed),
            _filled(case, changed) if fresh and kind != "submit" else []))
    return entries


def field_changes(case: Case, changed: dict[str, Any]) -> list[Change]:
    """Before/after of each field a decision changed in the case data."""
    result = []
    for key, values in changed.items():
        prop = field_prop(case.definition.forms, key)
        values = values if isinstance(values, dict) else {}
        before, after = values.get("before"), values.get("after")
        result.append(Change(str(prop.get("title") or key), formrender.render_value(prop, before),
                             formrender.render_value(prop, after),
                             wide=any(isinstance(v, (list, dict)) for v in (before, after))))
    return result


def _filled(case: Case, changed: dict[str, Any]) -> list[tuple[str, Markup]]:
    """What a reviewer entered in the step's own form (the first filing shows as the case data instead)."""
    result = []
    for key, values in changed.items():
        prop = field_prop(case.definition.forms, key)
        after = values.get("after") if isinstance(values, dict) else None
        result.append((str(prop.get("title") or key), formrender.render_value(prop, after)))
    return result


def _before(values: Any) -> Any:
    return values.get("before") if isinstance(values, dict) else None


def field_prop(forms: dict[str, Schema], key: str) -> Schema:
    """The declaration of a case-data field in whichever of the process's forms declares it."""
    for schema in forms.values():
        prop = formrender.properties(schema).get(key)
        if prop:
            return dict(prop)
    return computed_prop(key)


def computed_prop(key: str) -> Schema:
    """A read-only declaration for a variable the engine computes (会议表决结果, 涉外), titled from the vocabulary."""
    if key not in COMPUTED_FIELDS:
        return {}
    return {"title": COMPUTED_FIELDS[key], "properties": {name: {"title": title}
                                                           for name, title in COMPUTED_FIELDS.items()}}
