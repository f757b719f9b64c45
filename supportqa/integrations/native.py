"""Native JSONL (`supportqa import native`): one conversation with its messages per line."""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Iterable, Iterator

from supportqa.core.jsontext import json_problem, load_json
from supportqa.integrations.records import (
    Parsed,
    RecordInvalid,
    RowError,
    check_strings,
    conversation_record,
    unreadable,
)


def decode_lines(raw_lines: Iterable[bytes]) -> Iterator[tuple[int, str | RowError]]:
    for number, raw in enumerate(raw_lines, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, RowError(number, "-", f"not valid UTF-8 (byte {exc.start + 1})")


def parse_native(raw_lines: Iterable[bytes], default_source: str = "native") -> Iterator[Parsed]:
    """Native JSONL: one conversation with its messages per line."""
    for number, text in decode_lines(raw_lines):
        if isinstance(text, RowError):
            yield text
            continue
        if not text.strip(" \t\r\n\f\v"):  # blank as JSON sees it (str.strip() drops more)
            continue
        try:
            raw = load_json(text)
        except ValueError as exc:
            yield RowError(number, "-", json_problem(exc))
            continue
        try:
            if "\\u" in text:  # only an escape can put NUL or a lone surrogate in a string
                check_strings(raw)
            record = conversation_record(raw, number, default_source)
        except RecordInvalid as exc:
            yield RowError(number, exc.field, exc.reason)
            continue
        except Exception as exc:  # a shape no validator foresaw: that row, not the file
            yield unreadable(number, exc)
            continue
        record.source_digest = hashlib.sha256(text.encode()).hexdigest()
        yield record


def parse_file(data: bytes | mmap.mmap, default_source: str = "native") -> Iterator[Parsed]:
    return parse_native(lines_of(data), default_source)


def lines_of(data: bytes | mmap.mmap) -> Iterator[bytes]:
    """The lines `bytes.splitlines` gives (split at \\n, \\r\\n or \\r), read one at a time from
    a mapped file: the file is never held in memory whole."""
    if isinstance(data, bytes):
        yield from data.splitlines()
        return
    for line in iter(data.readline, b""):
        yield from line.splitlines()
