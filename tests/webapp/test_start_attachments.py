"""Attachments on the 发起 form before the first submission: kept with 暂存, handed to the case once filed, with the
limits of a case's attachments (type, size, content) and files that are private and follow their transaction."""
from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.cases import operations as cases
from engine.cases import start_files as start_files
from engine.cases.models import Attachment, StartDraftFile
from engine.errors import InvalidData, NotFound

from ..conftest import World
from .helpers import page, plan_form

PDF = b"%PDF-1.4\n% plan\n"
MULTIPART = "multipart/form-data"


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def count(world: World, table: type) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def draft_with(files: list[tuple[bytes, str]], **fields: str) -> dict[str, Any]:
    return {"_title": "2027 计划（未完成）", "decision": "save_draft", **fields,
            "files": [(io.BytesIO(data), name) for data, name in files]}


def test_a_file_kept_with_the_draft_becomes_the_case_attachment(world: World, plan_data: dict[str, Any],
                                                                uploads: Path,
                                                                login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    saved = client.post("/start/annual_plan", data=draft_with([(PDF, "预算表.pdf")]), content_type=MULTIPART)
    assert saved.status_code == 302
    html = page(client.get("/start/annual_plan"))
    assert "预算表.pdf" in html and "已暂存" in html and 'enctype="multipart/form-data"' in html
    [kept] = files_under(uploads)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and not kept.name.endswith(".part")
    assert "预算表.pdf" not in page(login("xh_sg").get("/start/annual_plan"))

    client = login("xh_staff")
    form = {**plan_form(plan_data), "files": [(io.BytesIO("说明".encode()), "说明.txt")]}
    filed = client.post("/start/annual_plan", data=form, content_type=MULTIPART)
    assert filed.status_code == 302, page(filed)
    case_page = page(client.get(filed.headers["Location"]))
    assert "预算表.pdf" in case_page and "说明.txt" in case_page
    assert count(world, StartDraftFile) == 0 and count(world, Attachment) == 2
    with world.sessions() as session:
        rows = session.scalars(select(Attachment)).all()
        case_id = rows[0].case_id
    stored = files_under(uploads)
    assert {p.parent for p in stored} == {uploads / str(case_id)} and len(stored) == 2
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in stored)
    download = client.get(f"/attachments/{rows[0].id}")
    assert download.status_code == 200 and download.data == PDF


@pytest.mark.parametrize(("data", "name", "reason"), [
    (b"MZ\x90\x00", "病毒.exe", "只接受以下类型"),
    (b"<html>", "伪装.pdf", "不是有效的 .pdf 文件"),
    (b"", "空.pdf", "不能为空"),
    (b"%PDF-" + b"0" * (3 * 1024 * 1024), "过大.pdf", "不能超过 3 MB"),
])
def test_a_refused_file_is_named_in_chinese_and_nothing_is_kept(world: World, uploads: Path, data: bytes,
                                                                name: str, reason: str,
                                                                login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    response = client.post("/start/annual_plan", data=draft_with([(data, name)]), content_type=MULTIPART)
    assert response.status_code == 422
    html = page(response)
    assert reason in html and f"“{name}”" in html and "本次选择的附件未保存" in html
    assert count(world, StartDraftFile) == 0 and files_under(uploads) == []


def test_a_refused_submission_keeps_the_case_and_its_files_out(world: World, plan_data: dict[str, Any],
                                                                uploads: Path,
                                                                login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    client.post("/start/annual_plan", data=draft_with([(PDF, "预算表.pdf")]), content_type=MULTIPART)
    form = {**plan_form(plan_data), "files": [(io.BytesIO(b"<html>"), "伪装.pdf")]}
    response = client.post("/start/annual_plan", data=form, content_type=MULTIPART)
    assert response.status_code == 422 and "“伪装.pdf”" in page(response)
    assert count(world, Attachment) == 0 and count(world, StartDraftFile) == 1
    assert [p.parent.name for p in files_under(uploads)] == [str(world.user_ids["xh_staff"])]


def test_a_kept_file_can_be_removed_and_only_by_its_owner(world: World, uploads: Path,
                                                          login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    client.post("/start/annual_plan", data=draft_with([(PDF, "预算表.pdf")]), content_type=MULTIPART)
    with world.sessions() as session:
        file_id = session.scalars(select(StartDraftFile.id)).one()
    for bad in ("abc", "9" * 12, str(file_id + 1)):
        response = client.post("/start/annual_plan", data=draft_with([], remove_file=bad), content_type=MULTIPART)
        assert response.status_code == 404 and "暂存的附件不存在" in page(response)
    other = login("xh_finance")
    assert other.post("/start/annual_plan", data=draft_with([], remove_file=str(file_id)),
                      content_type=MULTIPART).status_code == 404
    assert count(world, StartDraftFile) == 1
    client = login("xh_staff")
    response = client.post("/start/annual_plan", data=draft_with([], remove_file=str(file_id)), content_type=MULTIPART)
    assert response.status_code == 302
    assert count(world, StartDraftFile) == 0 and files_under(uploads) == []
    assert "预算表.pdf" not in page(client.get("/start/annual_plan"))


def test_the_engine_keeps_files_only_for_a_process_one_may_file(world: World, uploads: Path) -> None:
    with world.sessions() as session, session.begin():
        with pytest.raises(NotFound):
            start_files.add_start_file(session, world.user(session, "admin"), "annual_plan", "a.pdf", PDF, uploads)
        staff = world.user(session, "xh_staff")
        for _ in range(start_files.MAX_START_FILES):
            start_files.add_start_file(session, staff, "annual_plan", "a.pdf", PDF, uploads)
        with pytest.raises(InvalidData):
            start_files.add_start_file(session, staff, "annual_plan", "a.pdf", PDF, uploads)
    assert len(files_under(uploads)) == start_files.MAX_START_FILES


def test_files_beyond_the_request_limit_are_refused_in_chinese(world: World, uploads: Path,
                                                              login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    big = b"%PDF-" + b"0" * (2 * 1024 * 1024 + 512 * 1024)
    response = client.post("/start/annual_plan", data=draft_with([(big, "甲.pdf"), (big, "乙.pdf")]),
                           content_type=MULTIPART)
    assert response.status_code == 413 and "上传内容过大" in page(response)
    assert count(world, StartDraftFile) == 0 and files_under(uploads) == []


def test_a_rolled_back_filing_leaves_the_kept_file_where_it_was(world: World, plan_data: dict[str, Any],
                                                                 uploads: Path) -> None:
    with world.sessions() as session, session.begin():
        start_files.add_start_file(session, world.user(session, "xh_staff"), "annual_plan", "a.pdf", PDF, uploads)
    [kept] = files_under(uploads)
    with world.sessions() as session:
        with pytest.raises(RuntimeError):
            with session.begin():
                staff = world.user(session, "xh_staff")
                case = cases.start_case(session, staff, "annual_plan", world.org(session, "XH"), "计划", plan_data)
                assert len(start_files.attach_start_files(session, staff, case, uploads)) == 1
                raise RuntimeError("a later step of the same request failed")
    assert files_under(uploads) == [kept] and count(world, StartDraftFile) == 1 and count(world, Attachment) == 0
