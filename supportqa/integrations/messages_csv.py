"""CSV with one row per message (`supportqa import csv`, docs/import-formats.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from supportqa.integrations.csvrows import BadRow, csv_rows
from supportqa.integrations.records import (
    Parsed,
    RecordInvalid,
    RowError,
    conversation_record,
    unreadable,
)

MESSAGE_CSV_REQUIRED = ("conversation_id", "author_kind", "sent_at", "text")
CONVERSATION_COLUMNS = (
    "source",
    "channel",
    "subject",
    "agent",
    "team",
    "category",
    "urgency",
    "complexity",
    "status",
    "tags",
    "created_at",
    "resolved_at",
    "reopen_count",
)


def parse_message_csv(data: bytes, default_source: str = "csv") -> Iterator[Parsed]:
    """CSV with one row per message; conversation columns are read from a conversation's
    first row. Rows of one conversation need not be adjacent. A conversation with a bad row is
    refused whole: it is never imported with part of its messages."""
    grouped: dict[str, tuple[int, dict[str, Any]]] = {}
    refused: dict[str, int] = {}  # conversation id → line of its first bad row
    for item in csv_rows(data, MESSAGE_CSV_REQUIRED):
        if isinstance(item, BadRow):
            yield item.error
            conversation_id = item.partial.get("conversation_id", "").strip()
            if conversation_id:
                refused.setdefault(conversation_id, item.error.line)
            continue
        line, row = item
        conversation_id = row["conversation_id"].strip()
        if not conversation_id:
            yield RowError(line, "conversation_id", "is required")
            continue
        if conversation_id not in grouped:
            grouped[conversation_id] = (line, _conversation_body(conversation_id, row))
        grouped[conversation_id][1]["messages"].append(_message_body(row, line))
    yield from _conversation_records(grouped, refused, default_source)


def _conversation_body(conversation_id: str, row: dict[str, str]) -> dict[str, Any]:
    """A conversation in the native schema, from its first row, with no messages yet."""
    body: dict[str, Any] = {c: row.get(c, "") for c in CONVERSATION_COLUMNS}
    body["external_id"] = conversation_id
    body["customer"] = {
        "external_id": row.get("customer_id", ""),
        "name": row.get("customer_name", ""),
        "email": row.get("customer_email", ""),
    }
    body["messages"] = []
    return body


def _message_body(row: dict[str, str], line: int) -> dict[str, Any]:
    """A row's message in the native schema, with its line for errors (_line_of)."""
    return {
        "author_kind": row.get("author_kind", ""),
        "author": row.get("author", ""),
        "author_name": row.get("author_name", ""),
        "sent_at": row.get("sent_at", ""),
        "text": row["text"],
        "_line": line,
    }


def _conversation_records(
    grouped: dict[str, tuple[int, dict[str, Any]]], refused: dict[str, int], default_source: str
) -> Iterator[Parsed]:
    """Each grouped conversation validated, or a RowError; refused ones are not validated."""
    for conversation_id, (line, body) in grouped.items():
        if conversation_id in refused:
            yield RowError(
                line,
                "conversation_id",
                f"conversation {conversation_id[:60]!r} not imported: its row on line "
                f"{refused[conversation_id]} is bad",
            )
            continue
        try:
            yield conversation_record(body, line, default_source)
        except RecordInvalid as exc:
            yield RowError(_line_of(exc.field, body, line), exc.field, exc.reason)
        except Exception as exc:  # a shape no validator foresaw: that row, not the file
            yield unreadable(line, exc)


def _line_of(field_name: str, body: dict[str, Any], default: int) -> int:
    match = re.match(r"messages\[(\d+)\]", field_name)
    if match:
        return int(body["messages"][int(match.group(1))]["_line"])
    return default
