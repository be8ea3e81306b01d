"""Attachment files follow their transaction: moved into place only after the commit, removed on rollback, and
readable by the service account only (issue 11, 13)."""
from __future__ import annotations

import stat
from pathlib import Path
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.cases import attachments as attachments
from engine.cases.models import Attachment

from ..conftest import World
from ..review.helpers import start

PDF = b"%PDF-1.4\n% test\n"


def _files(uploads: Path) -> list[Path]:
    return sorted(p for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else []


def _rows(world: World) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(Attachment)) or 0


def test_a_rolled_back_upload_leaves_no_file(world: World, plan_data: dict[str, Any], uploads: Path) -> None:
    case_id = start(world, plan_data)
    with world.sessions() as session:
        with pytest.raises(RuntimeError):
            with session.begin():
                attachments.add_attachment(session, world.user(session, "xh_staff"), case_id, "计划.pdf", PDF, uploads)
                raise RuntimeError("a later step of the same request failed")
    assert _files(uploads) == [] and _rows(world) == 0


def test_the_file_appears_only_after_the_commit_and_is_private(world: World, plan_data: dict[str, Any],
                                                               uploads: Path) -> None:
    case_id = start(world, plan_data)
    with world.sessions() as session, session.begin():
        row = attachments.add_attachment(session, world.user(session, "xh_staff"), case_id, "计划.pdf", PDF, uploads)
        final = uploads / str(case_id) / row.storage_key
        assert not final.exists(), "nothing is in place before the commit"
    assert final.read_bytes() == PDF
    assert _files(uploads) == [final]
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert stat.S_IMODE(final.parent.stat().st_mode) == 0o700


def test_a_refused_web_upload_leaves_nothing(world: World, plan_data: dict[str, Any], uploads: Path,
                                             login: Callable[[str], FlaskClient]) -> None:
    case_id = start(world, plan_data)
    client = login("xh_staff")
    import io
    ok = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(PDF), "计划.pdf")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302 and _rows(world) == 1
    [stored] = _files(uploads)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    refused = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(b"<html>"), "x.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 302 and _rows(world) == 1
    assert _files(uploads) == [stored]


def test_an_api_upload_is_private_too(world: World, plan_data: dict[str, Any], uploads: Path, client: FlaskClient,
                                      tokens: Callable[[str], dict[str, str]]) -> None:
    import base64
    case_id = start(world, plan_data)
    response = client.post(f"/api/v1/cases/{case_id}/attachments", headers=tokens("xh_staff"),
                           json={"filename": "a.txt", "content_base64": base64.b64encode("说明".encode()).decode()})
    assert response.status_code == 201
    [stored] = _files(uploads)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and not stored.name.endswith(".part")


def test_a_session_closed_without_commit_leaves_no_file(world: World, plan_data: dict[str, Any],
                                                        uploads: Path) -> None:
    case_id = start(world, plan_data)
    with world.sessions() as session:
        attachments.add_attachment(session, world.user(session, "xh_staff"), case_id, "计划.pdf", PDF, uploads)
        assert len(_files(uploads)) == 1, "only the temporary file exists while the transaction is open"
    assert _files(uploads) == [] and _rows(world) == 0
