"""CSV lines that a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from typing import Any

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such
# text cells are written with a leading apostrophe, which spreadsheets show as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_line(values: list[Any]) -> str:
    """One CSV record, its text cells neutralised."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralised(v) for v in values])
    return buffer.getvalue()
