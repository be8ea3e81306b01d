"""The dossier packs the case's attachments, covered by its signed manifest."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from engine.audit import dossier as dossier
from engine.cases import attachments as attachments
from engine.cases import queries as queries

from ..conftest import World
from .helpers import file_plan

KEY = b"dossier-test-key-0123456789"
PDF = b"%PDF-1.4\n% plan appendix\n"


def test_attachments_are_in_the_dossier_and_verified(world: World, plan_data: dict[str, Any], tmp_path: Path) -> None:
    case_id = file_plan(world, plan_data)
    uploads = tmp_path / "uploads"
    with world.sessions() as session, session.begin():
        row = attachments.add_attachment(session, world.user(session, "xh_staff"), case_id, "计划附件.pdf", PDF, uploads)
        name = f"attachments/{row.id}-计划附件.pdf"
    with world.sessions() as session, session.begin():
        auditor = world.user(session, "auditor")
        archive = dossier.build(session, queries.get_case(session, auditor, case_id), auditor, KEY, uploads)
    assert zipfile.ZipFile(io.BytesIO(archive)).read(name) == PDF
    assert dossier.verify(archive, KEY).ok


def test_a_swapped_attachment_is_refused(world: World, plan_data: dict[str, Any], tmp_path: Path) -> None:
    case_id = file_plan(world, plan_data)
    uploads = tmp_path / "uploads"
    with world.sessions() as session, session.begin():
        attachments.add_attachment(session, world.user(session, "xh_staff"), case_id, "a.pdf", PDF, uploads)
    with world.sessions() as session, session.begin():
        auditor = world.user(session, "auditor")
        archive = dossier.build(session, queries.get_case(session, auditor, case_id), auditor, KEY, uploads)
    source = zipfile.ZipFile(io.BytesIO(archive))
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as target:
        for item in source.namelist():
            body = source.read(item)
            target.writestr(item, b"%PDF-1.4\n% forged\n" if item.startswith("attachments/") else body)
    assert not dossier.verify(forged.getvalue(), KEY).ok
