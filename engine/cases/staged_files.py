"""Files that belong to a database transaction: written under a temporary name (mode 0600, directory 0700), moved
into place only after the transaction commits, and deleted when it rolls back, so a failed request leaves no
orphan file and a committed row never points at a file another user of the machine can read.

A file already in place can be moved (``move_file``) or removed (``remove_file``) the same way: only once the
transaction commits; a rollback leaves it where it was."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
_PENDING = "baguan_staged_files"


@dataclass(frozen=True)
class StagedFile:
    temporary: Path
    final: Path | None
    """None: the file is removed at the commit."""
    kept_on_rollback: bool = False


def stage_file(session: Session, folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/.name.part`` now; it becomes ``folder/name`` when ``session`` commits."""
    folder.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(folder, DIRECTORY_MODE)
    temporary, final = folder / f".{name}.part", folder / name
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    _pending(session).append(StagedFile(temporary, final))
    return final


def move_file(session: Session, source: Path, folder: Path, name: str) -> Path:
    """``source`` becomes ``folder/name`` when ``session`` commits; a rollback leaves it as it was."""
    folder.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(folder, DIRECTORY_MODE)
    _pending(session).append(StagedFile(source, folder / name, kept_on_rollback=True))
    return folder / name


def remove_file(session: Session, path: Path) -> None:
    """``path`` is deleted when ``session`` commits; a rollback keeps it."""
    _pending(session).append(StagedFile(path, None, kept_on_rollback=True))


def _pending(session: Session) -> list[StagedFile]:
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _publish)
        event.listen(session, "after_transaction_end", _discard)
    return session.info[_PENDING]


def _publish(session: Session) -> None:
    """After the outermost commit (a released savepoint is not yet durable)."""
    if session.in_nested_transaction():
        return
    staged, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for item in staged:
        if item.final is None:
            item.temporary.unlink(missing_ok=True)
        else:
            os.replace(item.temporary, item.final)


def _discard(session: Session, transaction: SessionTransaction) -> None:
    """When the outermost transaction ends without having published (rolled back or closed)."""
    if transaction.parent is not None:
        return
    staged, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for item in staged:
        if not item.kept_on_rollback:
            item.temporary.unlink(missing_ok=True)
