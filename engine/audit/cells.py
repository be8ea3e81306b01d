"""One rule for every CSV export: a cell is one line, and text a spreadsheet would run as a formula is quoted
(a leading = + - @, tab or carriage return), except plain numbers such as -12.5."""
from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
