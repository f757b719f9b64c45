"""Parsers for the non-native import formats. Django-free, like `records`."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from supportqa.integrations.records import (
    ConversationRecord,
    Parsed,
    RecordInvalid,
    RowError,
    conversation_record,
    int_field,
    text_field,
    timestamp_field,
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


def csv_rows(
    data: bytes, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """Decode and read a CSV file; yields (line number, row) or errors. Header is line 1."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        yield RowError(line, "-", f"not valid UTF-8 (byte {exc.start + 1}); save the file as UTF-8")
        return
    csv.field_size_limit(10_000_000)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        yield RowError(1, ",".join(missing), "required column missing from the header")
        return
    start = 2
    try:
        for row in reader:
            if None in row:
                yield RowError(start, "-", "more cells than header columns")
            elif any(v is None for v in row.values()):
                yield RowError(start, "-", "fewer cells than header columns")
            else:
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        yield RowError(reader.line_num, "-", f"malformed CSV: {exc}")


def parse_message_csv(data: bytes, default_source: str = "csv") -> Iterator[Parsed]:
    """CSV with one row per message; conversation columns are read from a conversation's
    first row. Rows of one conversation need not be adjacent."""
    grouped: dict[str, tuple[int, dict[str, Any]]] = {}
    for item in csv_rows(data, MESSAGE_CSV_REQUIRED):
        if isinstance(item, RowError):
            yield item
            continue
        line, row = item
        conversation_id = row["conversation_id"].strip()
        if not conversation_id:
            yield RowError(line, "conversation_id", "is required")
            continue
        if conversation_id not in grouped:
            body: dict[str, Any] = {c: row.get(c, "") for c in CONVERSATION_COLUMNS}
            body["external_id"] = conversation_id
            body["customer"] = {
                "external_id": row.get("customer_id", ""),
                "name": row.get("customer_name", ""),
                "email": row.get("customer_email", ""),
            }
            body["messages"] = []
            grouped[conversation_id] = (line, body)
        message = {k: row.get(k, "") for k in ("author_kind", "author", "author_name", "sent_at")}
        message["text"] = row["text"]
        message["_line"] = line
        grouped[conversation_id][1]["messages"].append(message)
    for line, body in grouped.values():
        try:
            yield conversation_record(body, line, default_source)
        except RecordInvalid as exc:
            yield RowError(_line_of(exc.field, body, line), exc.field, exc.reason)


def _line_of(field_name: str, body: dict[str, Any], default: int) -> int:
    match = re.match(r"messages\[(\d+)\]", field_name)
    if match:
        return int(body["messages"][int(match.group(1))]["_line"])
    return default


def _duration(raw: str) -> timedelta:
    hours, minutes, seconds = raw.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds))


def parse_twitter(data: bytes, default_source: str = "twitter") -> Iterator[Parsed]:
    """The IBM Twitter customer-care format: a JSON list of dialogues (record number = line)."""
    try:
        items = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield RowError(1, "-", f"not valid UTF-8 (byte {exc.start + 1})")
        return
    except json.JSONDecodeError as exc:
        yield RowError(exc.lineno, "-", f"invalid JSON: {exc.msg}")
        return
    if not isinstance(items, list):
        yield RowError(1, "-", "expected a JSON list of dialogues")
        return
    for number, item in enumerate(items, start=1):
        try:
            yield _twitter_record(item, number, default_source)
        except RecordInvalid as exc:
            yield RowError(number, exc.field, exc.reason)
        except (KeyError, TypeError, ValueError) as exc:
            yield RowError(number, "-", f"unexpected structure: {exc!r}")


def _twitter_record(item: Any, number: int, source: str) -> ConversationRecord:
    header = item["dialogHeader"]
    start = timestamp_field(header.get("conversationDateTime"), "dialogHeader.conversationDateTime")
    assert start is not None
    messages: list[dict[str, Any]] = []
    customer = ""
    for turn in item.get("dialogContent", []):
        kind = "customer" if "client" in turn else "agent"
        author = turn.get("client") or turn.get("agent") or ""
        customer = customer or (author if kind == "customer" else "")
        messages.append(
            {
                "author_kind": kind,
                "author_name": author,
                "sent_at": turn["datetime"],
                "text": turn["message"],
            }
        )
    final = item.get("agentURL")
    if final and final.get("url_utterance"):
        end = start + _duration(header.get("duration") or "0:0:0")
        last = max((timestamp_field(m["sent_at"], "datetime") for m in messages), default=start)
        assert last is not None
        messages.append(
            {
                "author_kind": "agent",
                "author_name": header["company"],
                "sent_at": max(end, last).isoformat(),
                "text": final["url_utterance"],
            }
        )
    body = {
        "source": source,
        "external_id": header["sessionID"],
        "channel": "social",
        "team": header.get("company", ""),
        "customer": {"external_id": customer, "name": customer},
        "created_at": header.get("conversationDateTime"),
        "status": "closed",
        "messages": messages,
    }
    return conversation_record(body, number, source)


# --- surveys and people ------------------------------------------------------------------------


@dataclass
class SurveyRecord:
    line: int
    source: str
    external_id: str
    conversation_source: str
    conversation_id: str
    answered_at: datetime
    csat: int | None = None
    csat_scale: int = 5
    nps: int | None = None
    ces: int | None = None
    comment: str = ""
    sent_at: datetime | None = None


SURVEY_REQUIRED = ("response_id", "conversation_id", "answered_at")


def parse_surveys(data: bytes, default_source: str = "csv") -> Iterator[SurveyRecord | RowError]:
    seen: dict[str, int] = {}
    for item in csv_rows(data, SURVEY_REQUIRED):
        if isinstance(item, RowError):
            yield item
            continue
        line, row = item
        try:
            record = _survey_record(row, line, default_source)
        except RecordInvalid as exc:
            yield RowError(line, exc.field, exc.reason)
            continue
        first = seen.setdefault(record.external_id, line)
        if first != line:
            yield RowError(line, "response_id", f"duplicate id (first on line {first})")
            continue
        yield record


def _survey_record(row: dict[str, str], line: int, source: str) -> SurveyRecord:
    scale = int_field(row.get("csat_scale"), "csat_scale", low=5, high=7) or 5
    if scale not in (5, 7):
        raise RecordInvalid("csat_scale", f"{scale} is not 5 or 7")
    answered = timestamp_field(row.get("answered_at"), "answered_at")
    assert answered is not None
    record = SurveyRecord(
        line=line,
        source=text_field(row.get("source") or source, "source", required=True, limit=64),
        external_id=text_field(row.get("response_id"), "response_id", required=True),
        conversation_source=text_field(
            row.get("conversation_source") or source, "conversation_source", limit=64
        ),
        conversation_id=text_field(row.get("conversation_id"), "conversation_id", required=True),
        answered_at=answered,
        csat=int_field(row.get("csat"), "csat", low=1, high=scale),
        csat_scale=scale,
        nps=int_field(row.get("nps"), "nps", low=0, high=10),
        ces=int_field(row.get("ces"), "ces", low=1, high=7),
        comment=text_field(row.get("comment"), "comment", limit=10_000),
        sent_at=timestamp_field(row.get("sent_at"), "sent_at", required=False),
    )
    if record.csat is None and record.nps is None and record.ces is None:
        raise RecordInvalid("csat", "a response needs at least one of csat, nps, ces")
    return record


ROLES = ("agent", "peer", "qa", "lead", "manager", "admin", "shopper")
USER_REQUIRED = ("username", "role")


@dataclass
class UserRecord:
    line: int
    username: str
    role: str
    email: str = ""
    display_name: str = ""
    external_id: str = ""
    teams: list[str] = field(default_factory=list)
    lead_of: list[str] = field(default_factory=list)
    skills: dict[str, int] = field(default_factory=dict)


def parse_users(data: bytes) -> Iterator[UserRecord | RowError]:
    seen: dict[str, int] = {}
    for item in csv_rows(data, USER_REQUIRED):
        if isinstance(item, RowError):
            yield item
            continue
        line, row = item
        try:
            record = _user_record(row, line)
        except RecordInvalid as exc:
            yield RowError(line, exc.field, exc.reason)
            continue
        first = seen.setdefault(record.username.lower(), line)
        if first != line:
            yield RowError(line, "username", f"duplicate username (first on line {first})")
            continue
        yield record


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(";") if part.strip()]


def _user_record(row: dict[str, str], line: int) -> UserRecord:
    username = text_field(row.get("username"), "username", required=True, limit=150)
    if not re.fullmatch(r"[\w.@+-]+", username):
        raise RecordInvalid("username", "may hold letters, digits and @ . + - _ only")
    role = text_field(row.get("role"), "role", required=True).lower()
    if role not in ROLES:
        raise RecordInvalid("role", f"{role!r} is not one of: {', '.join(ROLES)}")
    email = text_field(row.get("email"), "email", limit=254)
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise RecordInvalid("email", f"{email!r} is not an e-mail address")
    skills: dict[str, int] = {}
    for part in _split(row.get("skills")):
        name, _, level = part.rpartition(":")
        if not name:
            raise RecordInvalid("skills", f"{part!r} must look like 'Category:level'")
        value = int_field(level, "skills", low=1, high=5, required=True)
        assert value is not None
        skills[name.strip()] = value
    return UserRecord(
        line=line,
        username=username,
        role=role,
        email=email,
        display_name=text_field(row.get("display_name"), "display_name", limit=150),
        external_id=text_field(row.get("external_id"), "external_id"),
        teams=_split(row.get("teams")),
        lead_of=_split(row.get("lead_of")),
        skills=skills,
    )


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
