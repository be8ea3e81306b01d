"""Where a Baguan installation keeps its own files: ``BAGUAN_INSTANCE_DIR`` (default ``./instance``).

The SQLite database and the uploads live there unless configured elsewhere, never inside the installed
package. The folder is created private to the service account (0700) and the database file 0600.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from sqlalchemy.engine import make_url

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def instance_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``BAGUAN_INSTANCE_DIR`` or the working directory's ``instance/``, as an absolute path."""
    env = os.environ if environ is None else environ
    raw = env.get("BAGUAN_INSTANCE_DIR") or "instance"
    return Path(raw).expanduser().resolve()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing; a folder created here is readable by its owner only."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_DIR, exist_ok=True)
        path.chmod(PRIVATE_DIR)
    return path


def sqlite_file(url: str) -> Path | None:
    """The database file of a file-based SQLite URL, else None."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def ensure_sqlite_file(url: str) -> None:
    """Create a missing SQLite database file 0600 in a private folder before SQLite creates it 0644."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return
    ensure_private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
