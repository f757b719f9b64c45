"""Reading CSV files record by record, so that a bad row costs that row only."""

from __future__ import annotations

import csv
import io
import mmap
import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from supportqa.core.jsontext import unstorable
from supportqa.integrations.records import MAX_TEXT, RecordInvalid, RowError

# A quoted cell may hold line breaks, but not this many: past either limit the quote is taken
# as unclosed, its row reported, and reading starts again on the next line.
MAX_RECORD_CHARS = 2 * MAX_TEXT + 10_000
MAX_RECORD_LINES = 5_000
_QUOTE_OR_COMMA = re.compile('[",]')


@dataclass
class BadRow:
    """A CSV row that cannot be read, with what could be read of its first line (so a
    conversation can be refused whole when one of its rows is bad)."""

    error: RowError
    partial: dict[str, str]


_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)
# The state after a quote or a comma, indexed by the state before it: a quote opens a cell
# only at the cell's start, and "" inside a quoted cell is a quote (an escaped one).
_AFTER = {
    '"': (_QUOTED, _UNQUOTED, _QUOTE_IN_QUOTED, _QUOTED),
    ",": (_START, _START, _QUOTED, _START),
}
# The state after other characters: text after a closing quote joins the cell.
_AFTER_TEXT = (_UNQUOTED, _UNQUOTED, _QUOTED, _UNQUOTED)


def _ends_quoted(line: str, quoted: bool) -> bool:
    """Whether a CSV record is inside a quoted cell at the end of this physical line, given
    whether it was at its start. The csv module's reading, state by state (_AFTER,
    _AFTER_TEXT). Only quotes and commas are visited."""
    if '"' not in line:
        return quoted
    state = _QUOTED if quoted else _START
    last = -1
    for match in _QUOTE_OR_COMMA.finditer(line):
        position = match.start()
        if position > last + 1:
            state = _AFTER_TEXT[state]  # other characters came first
        state = _AFTER[match.group()][state]
        last = position
    if line[last + 1 :].rstrip("\r\n"):
        state = _AFTER_TEXT[state]
    return state == _QUOTED


def _next_record(lines: list[str], index: int) -> tuple[str, int, bool]:
    """The CSV record starting at lines[index]: (text, index after it, whether its quotes
    closed within the limits)."""
    start, quoted, size = index, False, 0
    while index < len(lines):
        size += len(lines[index])
        quoted = _ends_quoted(lines[index], quoted)
        index += 1
        if not quoted or size > MAX_RECORD_CHARS or index - start > MAX_RECORD_LINES:
            break
    return "".join(lines[start:index]), index, not quoted


def _cells(record: str) -> list[str]:
    return next(csv.reader(io.StringIO(record, newline="")), [])


def _partial(header: list[str], line: str) -> dict[str, str]:
    """What the first line of a bad row says, as far as it can be read (its id, mostly)."""
    try:
        return dict(zip(header, _cells(line[:2000]), strict=False))
    except csv.Error:
        return {}


def csv_rows(
    data: bytes | mmap.mmap, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]] | BadRow]:
    """Read a CSV file record by record: (line number, row) or a BadRow naming the line.
    Header is line 1. A bad row never stops the file: bytes that are not UTF-8, a NUL, an
    oversized cell or a quote that is never closed cost that row only. A row spanning lines
    that does not read as one row was opened by a stray quote: it is reported and reading
    resumes on its second line, so the quote does not swallow the rows after it."""
    text = bytes(data).decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    lines = io.StringIO(text, newline="").readlines()
    header, index = _header(lines)
    missing = _missing_columns(header, required)
    if missing:
        yield BadRow(RowError(1, ",".join(missing), "required column missing from the header"), {})
        return
    csv.field_size_limit(MAX_RECORD_CHARS)
    while index < len(lines):
        start = index
        record, index, closed = _next_record(lines, index)
        partial = _partial(header, lines[start])
        if not record.strip():
            continue
        try:
            cells = _cells(record) if closed else []
        except csv.Error:  # a cell past the field size limit
            reason = f"a cell is longer than {MAX_RECORD_CHARS:,} characters"
            yield BadRow(RowError(start + 1, "-", reason), partial)
            continue
        problem = _row_problem(header, cells, start + 1)
        if index - start > 1 and _opened_by_stray_quote(problem, lines[start + 1 : index], header):
            yield BadRow(_malformed(start + 1, at_end=index >= len(lines)), partial)
            index = start + 1
            continue
        if problem is not None:
            yield BadRow(problem, partial)
            continue
        yield start + 1, dict(zip(header, cells, strict=True))


def _header(lines: list[str]) -> tuple[list[str], int]:
    """The header's column names and the index of the line after the header."""
    text, index, _ = _next_record(lines, 0)
    return ([h.strip() for h in _cells(text)] if text else []), index


def _missing_columns(header: list[str], required: tuple[str, ...]) -> list[str]:
    return [c for c in required if c not in header]


def _opened_by_stray_quote(
    problem: RowError | None, continuation: list[str], header: list[str]
) -> bool:
    """Whether a record spanning lines was opened by a stray quote: it does not read as one
    row (a problem not tied to a column), or it swallowed rows."""
    if problem is None:
        return _swallowed(continuation, header)
    return problem.field == "-"


def _malformed(line: int, *, at_end: bool) -> RowError:
    reason = (
        "a quoted cell is never closed"
        if at_end
        else (
            "a quote opened on this line is not closed on it, and the lines after it do "
            "not read as one row"
        )
    )
    return RowError(line, "-", f"malformed CSV: {reason}")


def _swallowed(continuation: list[str], header: list[str]) -> bool:
    """Whether a quoted cell spanning lines took in what reads as whole rows of the file: a
    continuation line that, alone, has exactly the header's cells. A message's own line
    breaks do not look like that, so the quote that opened the cell was never closed."""
    if len(header) < 3:
        return False
    for line in continuation:
        if _ends_quoted(line, False):
            continue
        try:
            if len(_cells(line)) == len(header):
                return True
        except csv.Error:
            continue
    return False


def _row_problem(header: list[str], cells: list[str], line: int) -> RowError | None:
    if len(cells) > len(header):
        return RowError(line, "-", "more cells than header columns")
    if len(cells) < len(header):
        return RowError(line, "-", "fewer cells than header columns")
    for name, cell in zip(header, cells, strict=True):
        problem = unstorable(cell)
        if problem:
            return RowError(line, name, problem)
    return None


R = TypeVar("R")


def csv_records(
    data: bytes,
    required: tuple[str, ...],
    build: Callable[[dict[str, str], int], R],
    unique: Sequence[tuple[str, Callable[[R], Hashable], str]] = (),
) -> Iterator[R | RowError]:
    """A CSV file as records built by `build(row, line)`, or RowErrors: bad rows, invalid
    records (RecordInvalid), and records whose key repeats an earlier record's, for each
    (field, key, what is repeated) in `unique`, naming the first line."""
    seen: list[dict[Hashable, int]] = [{} for _ in unique]
    for item in csv_rows(data, required):
        if isinstance(item, BadRow):
            yield item.error
            continue
        line, row = item
        try:
            record = build(row, line)
        except RecordInvalid as exc:
            yield RowError(line, exc.field, exc.reason)
            continue
        repeat = next(
            (
                RowError(line, name, f"{what} (first on line {first})")
                for (name, key, what), firsts in zip(unique, seen, strict=True)
                if (first := firsts.setdefault(key(record), line)) != line
            ),
            None,
        )
        yield record if repeat is None else repeat
