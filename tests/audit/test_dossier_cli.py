"""``baguan dossier verify`` and ``python -m engine.audit.dossier verify``: offline, no database, one clear line on failure."""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine import journal as audit
from engine.audit import checkpoints as checkpoints
from engine.audit import dossier
from engine.audit.models import AuditCheckpoint
from engine.journal import AuditEvent

from ..conftest import PROJECT_ROOT, World
from ..security.helpers import assert_clean_failure, run_cli
from .helpers import file_plan, run_plan_through

Login = Callable[[str], FlaskClient]
KEY = "test-secret-key-0123456789"


def _dossier(world: World, plan: dict[str, Any], login: Login, tmp_path: Path) -> tuple[Path, int]:
    case_id = file_plan(world, plan)
    run_plan_through(world, case_id)
    with world.sessions() as session, session.begin():
        checkpoints.create_checkpoint(session)
    path = tmp_path / "dossier.zip"
    path.write_bytes(login("auditor").get(f"/audit/cases/{case_id}/dossier.zip").get_data())
    return path, case_id


def test_cli_verifies_a_dossier_without_a_database(world: World, plan_data: dict[str, Any], login: Login,
                                                   tmp_path: Path) -> None:
    path, _ = _dossier(world, plan_data, login, tmp_path)
    result = run_cli("sqlite:////nonexistent/dir/none.sqlite3", "dossier", "verify", str(path), "--key", KEY)
    assert result.exit_code == 0, result.output
    assert "档案校验通过" in result.stdout and "链片段包含检查点" in result.stdout
    unsigned = run_cli("sqlite:////nonexistent/none.sqlite3", "dossier", "verify", str(path))
    assert unsigned.exit_code == 0 and "未校验签名" in unsigned.stdout
    module = subprocess.run([sys.executable, "-m", "engine.audit.dossier", "verify", str(path), "--key", KEY],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert module.returncode == 0 and "档案校验通过" in module.stdout, module.stderr


def test_cli_refuses_a_tampered_dossier(world: World, plan_data: dict[str, Any], login: Login,
                                        tmp_path: Path) -> None:
    path, case_id = _dossier(world, plan_data, login, tmp_path)
    source = zipfile.ZipFile(path)
    files = {n: source.read(n) for n in source.namelist()}
    case = json.loads(files["case.json"])
    case["data"]["income_total"] = 1
    files["case.json"] = json.dumps(case).encode()
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as target:
        for name, body in files.items():
            target.writestr(name, body)
    line = assert_clean_failure(run_cli("sqlite:////none.sqlite3", "dossier", "verify", str(forged), "--key", KEY))
    assert "case.json" in line and "内容被修改" in line
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert "不是有效的" in assert_clean_failure(run_cli("sqlite:////none.sqlite3", "dossier", "verify",
                                                       str(tmp_path / "junk.zip")))
    assert "无法读取" in assert_clean_failure(run_cli("sqlite:////none.sqlite3", "dossier", "verify",
                                                     str(tmp_path / "missing.zip")))
    with world.sessions() as session:
        exported = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.dossier_exported")).all()
        assert [e.case_id for e in exported] == [case_id]


def _repacked(path: Path, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The dossier with its checkpoint changed and the manifest digests redone (only the signature can tell)."""
    source = zipfile.ZipFile(path)
    files = {n: source.read(n) for n in source.namelist()}
    document = json.loads(files["proof/checkpoint.json"])
    change(document)
    files["proof/checkpoint.json"] = json.dumps(document).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["proof/checkpoint.json"] = hashlib.sha256(files["proof/checkpoint.json"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, body in files.items():
            target.writestr(name, body)
    return buffer.getvalue()


def test_the_dossier_proves_only_its_chain_head_under_the_signed_root(world: World, plan_data: dict[str, Any],
                                                                      login: Login, tmp_path: Path) -> None:
    file_plan(world, plan_data, society="YH", title="另一学会的计划")
    path, _ = _dossier(world, plan_data, login, tmp_path)
    document = json.loads(zipfile.ZipFile(path).read("proof/checkpoint.json"))
    assert "heads" not in document and document["version"] == 2
    assert [p["head"]["chain"] for p in document["proofs"]] == [audit.chain_key(world.org_ids["XH"])]
    assert dossier.verify(path.read_bytes(), KEY.encode()).ok

    def shorter(changed: dict[str, Any]) -> None:
        changed["proofs"][0]["head"]["length"] -= 1

    verdict = dossier.verify(_repacked(path, shorter), None)
    assert not verdict.ok and any("根哈希之下" in p for p in verdict.problems)


def test_a_checkpoint_older_than_the_chains_proves_nothing_about_a_newer_case(world: World, plan_data: dict[str, Any],
                                                                             login: Login) -> None:
    """Just after the upgrade the latest checkpoint names the single old chain's head (version 1): a case on its
    society's chain is exported with no proof from it, and says so."""
    case_id = file_plan(world, plan_data)
    with world.sessions() as session, session.begin():
        first = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        assert first is not None
        session.add(AuditCheckpoint(event_id=first.id, event_count=1, head_hash=first.hash))
    archive = login("auditor").get(f"/audit/cases/{case_id}/dossier.zip").get_data()
    verdict = dossier.verify(archive, KEY.encode())
    assert verdict.ok, verdict.problems
    assert "最新检查点早于本事项所在的链" in verdict.notes
