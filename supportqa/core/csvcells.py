"""CSV lines that a spreadsheet opens safely, and streamed in pieces."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
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


PIECE = 1 << 16  # characters per piece of a streamed response


def in_pieces(lines: Iterable[str]) -> Iterator[str]:
    """Lines joined into pieces of about 64 KiB: a response sends a few large writes, not one
    per row. The first piece goes out as soon as it is full, so the first byte of an export of
    any size is as quick as one of a few hundred rows."""
    piece: list[str] = []
    size = 0
    for line in lines:
        piece.append(line)
        size += len(line)
        if size >= PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)
