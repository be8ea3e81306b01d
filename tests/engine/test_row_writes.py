"""engine.db.write_rows and insert_rows: the hot path's Core writes leave the session as a flush would."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.cases import operations as cases
from engine.db import insert_rows, utcnow, write_row, write_rows
from engine.runtime.models import Case, HumanTask

from ..conftest import World


def _filed(world: World, plan: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "写入测试", dict(plan)).id


def test_a_written_case_is_stored_with_its_next_version_and_is_clean(world: World,
                                                                     plan_data: dict[str, Any]) -> None:
    case_id = _filed(world, plan_data)
    with world.sessions() as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        version = case.version
        case.title, case.data = "改过的标题", {**case.data, "note": "新"}
        write_row(session, case)
        assert case.version == version + 1 and not session.dirty
    with world.sessions() as session:
        stored = session.get(Case, case_id)
        assert stored is not None
        assert (stored.title, stored.data["note"], stored.version) == ("改过的标题", "新", version + 1)


def test_a_case_changed_meanwhile_is_refused_by_its_version_fence(world: World, plan_data: dict[str, Any]) -> None:
    case_id = _filed(world, plan_data)
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        session.commit()  # keeps the loaded version (expire_on_commit=False), releases SQLite's write lock
        with world.sessions() as other, other.begin():
            moved = other.get(Case, case_id)
            assert moved is not None
            moved.title = "别人先改了"
        case.title = "我后改"
        with pytest.raises(StaleDataError):
            write_row(session, case)
    with world.sessions() as session:
        assert session.scalar(select(Case.title).where(Case.id == case_id)) == "别人先改了"


def test_rows_with_the_same_changes_are_written_together(world: World, plan_data: dict[str, Any]) -> None:
    ids = [_filed(world, plan_data) for _ in range(2)]
    with world.sessions() as session, session.begin():
        rows = list(session.scalars(select(HumanTask).where(HumanTask.case_id.in_(ids))))
        for row in rows:
            row.comment = "一起写"
        write_rows(session, rows)
        assert not session.dirty
    with world.sessions() as session:
        assert set(session.scalars(select(HumanTask.comment).where(HumanTask.case_id.in_(ids)))) == {"一起写"}


def test_inserted_rows_get_their_ids_and_are_the_session_s_own(world: World, plan_data: dict[str, Any]) -> None:
    case_id = _filed(world, plan_data)
    with world.sessions() as session, session.begin():
        template = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)).first()
        assert template is not None
        copies = [HumanTask(case_id=case_id, org_id=template.org_id, scope_org_id=template.scope_org_id,
                            submitter_id=template.submitter_id, assignee_id=None, role=template.role,
                            spiff_task_id=f"copy-{n}", bpmn_id=template.bpmn_id, name=template.name,
                            kind=template.kind, form_key=None, status="open", created_at=utcnow(), due_at=None,
                            completed_at=None, completed_by=None, decision=None, comment=None, submitted=None)
                  for n in range(2)]
        insert_rows(session, copies)
        assert all(row.id for row in copies) and not session.new and not session.dirty
        found = session.scalars(select(HumanTask).where(HumanTask.spiff_task_id.like("copy-%"))
                                .order_by(HumanTask.id)).all()
        assert list(found) == copies and copies[0].case.id == case_id
