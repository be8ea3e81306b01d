"""Template filters and globals for the Chinese UI."""
from __future__ import annotations

from flask import Flask


def init_templating(app: Flask) -> None:
    pass
