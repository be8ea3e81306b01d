"""One payee, however its identifier is typed, and one filing at a time per payee.

The 30-day total per payee (``rules.computed_data``) must not be evaded by spelling the payee's code
differently (``SPLITY1`` / ``splity1`` / ``ＳＰＬＩＴＹ１`` / ``SPLIT Y1``) nor by filing several parts at the
same moment, each reading the total before the others are saved.
"""
from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def payee_key(value: Any) -> str:
    """The identifier compared across filings: NFKC (full-width forms), case-folded, without any spaces
    (incl. full-width 　) or invisible characters."""
    folded = unicodedata.normalize("NFKC", str(value or "")).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE)


def serialise_filings(session: Session, scope: str, key: str) -> None:
    """Hold, until this transaction ends, the lock of one payee within ``scope`` (society and process):
    a concurrent filing for the same payee waits here and then sees this one. On SQLite every write
    transaction already begins with BEGIN IMMEDIATE, which serialises filings as a whole."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"split-payee:{scope}:{key}".encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:lock_key)"),
                    {"lock_key": int.from_bytes(digest[:8], "big", signed=True)})
