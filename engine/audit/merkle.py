"""A Merkle tree over the chain heads, as Certificate Transparency builds one (RFC 6962 §2.1): a checkpoint signs
the root, and a short audit path proves that one chain's head is under it without showing the other chains."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

HEAD_FIELDS = ("chain", "length", "event_id", "hash")


def leaf_hash(head: Mapping[str, Any]) -> str:
    """The leaf of one chain head: its chain, length, last event id and last hash, in that order."""
    text = json.dumps([head[f] for f in HEAD_FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(b"\x00" + text.encode("utf-8")).hexdigest()


def _node(left: str, right: str) -> str:
    return hashlib.sha256(b"\x01" + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


def _split(size: int) -> int:
    """The largest power of two below ``size`` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def root(leaves: Sequence[str]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(root(leaves[:k]), root(leaves[k:]))


def audit_path(leaves: Sequence[str], index: int) -> list[str]:
    """The sibling hashes from leaf ``index`` up to the root, the top one last."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return audit_path(leaves[:k], index) + [root(leaves[k:])]
    return audit_path(leaves[k:], index - k) + [root(leaves[:k])]


def root_from_path(leaf: str, index: int, size: int, path: Sequence[str]) -> str:
    """The root that ``leaf`` at ``index`` of ``size`` leaves and its audit path lead to ("" if they cannot)."""
    if size == 1:
        return leaf if not path and index == 0 else ""
    if not path or not 0 <= index < size:
        return ""
    k, sibling = _split(size), path[-1]
    if index < k:
        below = root_from_path(leaf, index, k, path[:-1])
        return _node(below, sibling) if below else ""
    below = root_from_path(leaf, index - k, size - k, path[:-1])
    return _node(sibling, below) if below else ""
