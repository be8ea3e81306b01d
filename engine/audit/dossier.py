"""A case dossier: one ZIP with the case data, its full history, the diagram version it ran on, its decision
tables, and the chain proof for its events; checkable offline without a database:

    python -m engine.audit.dossier verify FILE.zip [--key KEY]     (or: baguan dossier verify FILE.zip)

The key (default BAGUAN_AUDIT_KEY) checks the HMAC signature over the manifest; without it every other check
still runs. The proof is, for each chain holding the case's events (its society's, and ``legacy`` for a case older
than the per-society chains), the segment from the case's first event there (or the latest checkpoint's head of
that chain, if older) to its last one (the export event, on the society's chain): events of the case, and other
events the exporter may read, are given in full and their hashes recomputed; others appear only as
(id, chain, prev_hash, hash) links. The latest checkpoint comes with the heads of those chains and their audit
paths to its signed Merkle root.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.audit import checkpoints as checkpoints
from engine.audit.search import audit_scope
from engine.cases.attachments import case_attachments
from engine.identity.models import User
from engine.journal import AuditEvent
from engine.runtime.models import Case

FORMAT = "baguan-dossier/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "occurred_at": audit.canonical_timestamp(event.occurred_at), "action": event.action,
            "actor_id": event.actor_id, "actor_name": event.actor_name, "org_id": event.org_id,
            "case_id": event.case_id, "detail": event.detail, "chain": event.chain, "prev_hash": event.prev_hash,
            "hash": event.hash}


def _link(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "chain": event.chain, "prev_hash": event.prev_hash, "hash": event.hash, "redacted": True}


def build(session: Session, case: Case, user: User, key: bytes, upload_dir: Path | None = None) -> bytes:
    """Log the export in the chain, then pack the dossier (the export event closes its proof).

    With ``upload_dir``, the case's attachments are packed too, each checked against its registered SHA-256.
    """
    exported = audit.record(session, "case.dossier_exported", actor=user, org_id=case.org_id, case_id=case.id,
                            number=case.number)
    history = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)))
    latest = checkpoints.latest_checkpoint(session)
    document = checkpoints.checkpoint_document(latest, key) if latest else None
    scope = audit_scope(session, user)
    segment = [event_json(e) if e.case_id == case.id or scope.allows(e.org_id) else _link(e)
               for e in _segment(session, history, document)]
    chains = {e.chain for e in history}
    if document is not None and (document["version"] != 1 or audit.LEGACY_CHAIN not in chains):
        document = checkpoints.chain_proofs(document, chains)
    files = {
        "case.json": _dumps(_case_json(case)),
        "history.json": _dumps([event_json(e) for e in history]),
        "diagram.bpmn": case.definition.bpmn_xml.encode("utf-8"),
        "proof/chain.json": _dumps(segment),
        "proof/checkpoint.json": _dumps(document),
    }
    for name, text in sorted((getattr(case.definition, "dmn_sources", None) or {}).items()):
        files[f"rules/{name}"] = text.encode("utf-8")
    if upload_dir is not None:
        files.update(_attachment_files(session, case, upload_dir))
    return _pack(files, key, case, exported)


def _segment(session: Session, history: list[AuditEvent], document: dict[str, Any] | None) -> list[AuditEvent]:
    """Each chain of the case's events, from its first case event (or checkpointed head, if older) to its last."""
    bounds: dict[str, tuple[int, int]] = {}
    for event in history:
        first, last = bounds.get(event.chain, (event.id, event.id))
        bounds[event.chain] = (min(first, event.id), max(last, event.id))
    for chain, anchor in _checkpointed(document).items():
        if chain in bounds:
            bounds[chain] = (min(bounds[chain][0], anchor), max(bounds[chain][1], anchor))
    events: list[AuditEvent] = []
    for chain, (first, last) in sorted(bounds.items()):
        events += session.scalars(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.id >= first,
                                                           AuditEvent.id <= last).order_by(AuditEvent.id))
    return events


def _checkpointed(document: dict[str, Any] | None) -> dict[str, int]:
    """The last event id the checkpoint names in each chain (a version 1 checkpoint: the legacy chain's)."""
    if document is None:
        return {}
    if document["version"] == 1:
        return {audit.LEGACY_CHAIN: document["event_id"]}
    return {head["chain"]: head["event_id"] for head in document["heads"]}


def _attachment_files(session: Session, case: Case, upload_dir: Path) -> dict[str, bytes]:
    """``attachments/<id>-<name>`` for every stored file whose bytes still match the registered digest."""
    files: dict[str, bytes] = {}
    for row in case_attachments(session, case):
        try:
            data = (upload_dir / str(row.case_id) / row.storage_key).read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == row.sha256:
            files[f"attachments/{row.id}-{row.filename}"] = data
    return files


def _case_json(case: Case) -> dict[str, Any]:
    d = case.definition
    return {"id": case.id, "number": case.number, "title": case.title, "status": case.status,
            "org": {"id": case.org_id, "code": case.org.code, "name": case.org.name},
            "process": {"key": d.key, "name": d.name, "version": d.version, "content_hash": d.content_hash},
            "created_by": case.creator.name, "created_at": _iso(case.created_at),
            "finished_at": _iso(case.finished_at), "data": case.data}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def _pack(files: dict[str, bytes], key: bytes, case: Case, exported: AuditEvent) -> bytes:
    manifest = _dumps({"format": FORMAT, "case": case.number, "export_event": exported.id,
                       "exported_at": _iso(exported.occurred_at), "exported_by": exported.actor_name,
                       "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())}})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
        archive.writestr(MANIFEST, manifest)
        archive.writestr(SIGNATURE, hmac.new(key, manifest, hashlib.sha256).hexdigest())
        archive.writestr("README.txt", README.encode("utf-8"))
    return buffer.getvalue()


README = """把关 Baguan 事项档案（离线可校验）
case.json 事项数据；history.json 全部办理记录；diagram.bpmn 事项所用的流程图版本；rules/ 随该版本部署的决策表；
attachments/ 事项与审批意见的附件；
proof/chain.json 审计链片段（本事项事件与其前后链接）；proof/checkpoint.json 最新签名检查点；manifest.json 各文件摘要，
manifest.sig 为其 HMAC-SHA256 签名。
校验：python -m engine.audit.dossier verify 本文件.zip --key 审计密钥   （或 baguan dossier verify 本文件.zip）
"""


@dataclass
class Verdict:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)


def verify(data: bytes, key: bytes | None) -> Verdict:
    """Every offline check of a dossier; the first problems found are listed in Chinese."""
    verdict = Verdict()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            contents = {n: archive.read(n) for n in archive.namelist() if n.count("/") <= 1 and len(n) < 200}
        manifest = json.loads(contents[MANIFEST])
    except (zipfile.BadZipFile, KeyError, ValueError):
        verdict.fail("不是有效的把关事项档案（ZIP 或 manifest.json 损坏）")
        return verdict
    _check_signature(verdict, contents, key)
    _check_files(verdict, contents, manifest)
    if verdict.ok:
        try:
            _check_chain(verdict, contents, key)
        except (KeyError, TypeError, ValueError, AttributeError):
            verdict.fail("链片段或办理记录的格式无效")
    return verdict


def _check_signature(verdict: Verdict, contents: dict[str, bytes], key: bytes | None) -> None:
    if key is None:
        verdict.notes.append("未提供密钥：未校验签名（设置 BAGUAN_AUDIT_KEY 或使用 --key）")
        return
    expected = hmac.new(key, contents[MANIFEST], hashlib.sha256).hexdigest()
    if not hmac.compare_digest(contents.get(SIGNATURE, b"").decode("ascii", "replace").strip(), expected):
        verdict.fail("档案签名无效（manifest 被修改，或密钥不同）")


def _check_files(verdict: Verdict, contents: dict[str, bytes], manifest: dict[str, Any]) -> None:
    listed = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    for name, digest in listed.items():
        if name not in contents:
            verdict.fail(f"缺少文件 {name}")
        elif hashlib.sha256(contents[name]).hexdigest() != digest:
            verdict.fail(f"文件 {name} 的摘要与清单不符（内容被修改）")
    for name in ("case.json", "history.json", "proof/chain.json"):
        if name not in listed:
            verdict.fail(f"清单中缺少 {name}")


class _Event:
    """Duck-types AuditEvent for :func:`audit.chain_hash`."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.occurred_at = datetime.fromisoformat(raw["occurred_at"])
        for name in ("action", "actor_id", "actor_name", "org_id", "case_id", "detail"):
            setattr(self, name, raw[name])


def _check_chain(verdict: Verdict, contents: dict[str, bytes], key: bytes | None) -> None:
    chain = json.loads(contents["proof/chain.json"])
    history = json.loads(contents["history.json"])
    previous: dict[str, str] = {}
    for entry in chain:
        name = entry.get("chain", "")
        if name in previous and entry["prev_hash"] != previous[name]:
            verdict.fail(f"链片段在事件 #{entry['id']} 处断开（前序哈希不符）")
            return
        if not entry.get("redacted") and audit.chain_hash(entry["prev_hash"], _Event(entry)) != entry["hash"]:  # type: ignore[arg-type]
            verdict.fail(f"事件 #{entry['id']} 的内容与哈希不符（被修改）")
            return
        if not entry.get("redacted") and name not in ("", audit.LEGACY_CHAIN, audit.chain_key(entry["org_id"])):
            verdict.fail(f"事件 #{entry['id']} 所在的链与其学会不符")
            return
        previous[name] = entry["hash"]
    full = {e["id"]: e for e in chain if not e.get("redacted")}
    for event in history:
        if full.get(event["id"]) != event:
            verdict.fail(f"办理记录中的事件 #{event['id']} 不在链片段中或与之不符")
    _check_checkpoint(verdict, contents, chain, key)
    verdict.notes.append(f"链片段 {len(chain)} 个事件，其中本事项 {len(history)} 个，哈希与链接均一致")


def _check_checkpoint(verdict: Verdict, contents: dict[str, bytes], chain: list[dict[str, Any]],
                      key: bytes | None) -> None:
    document = json.loads(contents.get("proof/checkpoint.json", b"null"))
    if not document:
        verdict.notes.append("导出时尚无检查点")
        return
    if key is not None and not checkpoints.signature_valid(document, key):
        verdict.fail("检查点签名无效")
    hashes = {e["id"]: (e.get("chain", ""), e["hash"]) for e in chain}
    if "proofs" not in document:
        if hashes.get(document["event_id"], ("", ""))[1] != document["head_hash"]:
            verdict.fail(f"检查点（事件 #{document['event_id']}）不在链片段中")
        else:
            verdict.notes.append(f"链片段包含检查点（事件 #{document['event_id']}，{document['created_at']}）")
        return
    for proof in document["proofs"]:
        head = proof["head"]
        if not checkpoints.proof_valid(document, proof):
            verdict.fail(f"链 {head['chain']} 的链头不在检查点签名的根哈希之下（检查点被修改）")
        elif hashes.get(head["event_id"]) != (head["chain"], head["hash"]):
            verdict.fail(f"检查点所记链 {head['chain']} 的链头（事件 #{head['event_id']}）不在链片段中")
        else:
            verdict.notes.append(f"链片段包含检查点记下的链 {head['chain']} 链头（事件 #{head['event_id']}，"
                                 f"{document['created_at']}）")
    if not document["proofs"]:
        verdict.notes.append("最新检查点早于本事项所在的链")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "verify":
        print("用法：python -m engine.audit.dossier verify FILE.zip [--key KEY]", file=sys.stderr)
        return 2
    key = argv[argv.index("--key") + 1] if "--key" in argv[:-1] else os.environ.get("BAGUAN_AUDIT_KEY")
    try:
        with open(argv[1], "rb") as handle:
            verdict = verify(handle.read(), key.encode("utf-8") if key else None)
    except OSError as exc:
        print(f"错误：无法读取文件：{exc}", file=sys.stderr)
        return 2
    return report(verdict)


def report(verdict: Verdict) -> int:
    for note in verdict.notes:
        print(note)
    if not verdict.ok:
        print("错误：档案校验失败：" + "；".join(verdict.problems[:5]), file=sys.stderr)
        return 1
    print("档案校验通过")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
