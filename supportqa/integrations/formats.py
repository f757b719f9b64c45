"""Parsers for the non-native import formats. Django-free, like `records`."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from supportqa.core.jsontext import json_problem, no_json_constants
from supportqa.integrations.records import (
    FUTURE_SLACK,
    MAX_SECONDS,
    MAX_TEXT,
    ConversationRecord,
    Parsed,
    RecordInvalid,
    RowError,
    check_strings,
    conversation_record,
    int_field,
    text_field,
    timestamp_field,
    unreadable,
    unstorable,
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


def _ends_quoted(line: str, quoted: bool) -> bool:
    """Whether a CSV record is inside a quoted cell at the end of this physical line, given
    whether it was at its start. The csv module's reading, state by state: a quote opens a
    cell only at the cell's start, "" inside a quoted cell is a quote, and text after a
    closing quote joins the cell. Only quotes and commas are visited."""
    if '"' not in line:
        return quoted
    state = _QUOTED if quoted else _START
    last = -1
    for match in _QUOTE_OR_COMMA.finditer(line):
        position, char = match.start(), match.group()
        if position > last + 1 and state in (_START, _QUOTE_IN_QUOTED):
            state = _UNQUOTED  # other characters came first
        if char == '"':
            if state == _START:
                state = _QUOTED
            elif state == _QUOTED:
                state = _QUOTE_IN_QUOTED
            elif state == _QUOTE_IN_QUOTED:
                state = _QUOTED  # an escaped quote
        elif state != _QUOTED:
            state = _START
        last = position
    if line[last + 1 :].rstrip("\r\n") and state in (_START, _QUOTE_IN_QUOTED):
        state = _UNQUOTED
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
    data: bytes, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]] | BadRow]:
    """Read a CSV file record by record: (line number, row) or a BadRow naming the line.
    Header is line 1. A bad row never stops the file: bytes that are not UTF-8, a NUL, an
    oversized cell or a quote that is never closed cost that row only. A row spanning lines
    that does not read as one row was opened by a stray quote: it is reported and reading
    resumes on its second line, so the quote does not swallow the rows after it."""
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    lines = io.StringIO(text, newline="").readlines()
    header_text, index, _ = _next_record(lines, 0)
    header = [h.strip() for h in _cells(header_text)] if header_text else []
    missing = [c for c in required if c not in header]
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
        if index - start > 1 and problem is None and _swallowed(lines[start + 1 : index], header):
            problem = RowError(start + 1, "-", "swallowed rows")
        if problem is not None and index - start > 1 and problem.field == "-":
            reason = (
                "a quoted cell is never closed"
                if index >= len(lines)
                else (
                    "a quote opened on this line is not closed on it, and the lines after it do "
                    "not read as one row"
                )
            )
            yield BadRow(RowError(start + 1, "-", f"malformed CSV: {reason}"), partial)
            index = start + 1
            continue
        if problem is not None:
            yield BadRow(problem, partial)
            continue
        yield start + 1, dict(zip(header, cells, strict=True))


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


# H:M:S as the dataset writes it, negative ones ("-12:14:20.") included; at most 6 digits.
_DURATION = re.compile(r"(-?[0-9]{1,6}):([0-9]{1,6}):([0-9]{1,6}(?:\.[0-9]{0,6})?)", re.ASCII)


def _duration(raw: Any) -> timedelta:
    """The dataset's H:M:S duration; anything else, or one that would overflow, is refused."""
    name = "dialogHeader.duration"
    found = _DURATION.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if found is None:
        raise RecordInvalid(name, f"{str(raw)[:40]!r} is not a duration like 0:05:30")
    hours, minutes, seconds = found.groups()
    total = timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds))
    if abs(total.total_seconds()) > MAX_SECONDS:
        raise RecordInvalid(name, "is longer than 68 years")
    return total


def _json_items(data: bytes) -> Iterator[tuple[int, Any] | RowError]:
    """The elements of a top-level JSON list, one at a time: (number, value), or a RowError
    for an element that cannot be read (nested too deeply, NaN, a 5,000-digit number, a lone
    surrogate or NUL), after which reading goes on with the next element."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        yield RowError(1, "-", f"not valid UTF-8 (byte {exc.start + 1})")
        return
    decoder = json.JSONDecoder(parse_constant=no_json_constants)
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        yield RowError(1, "-", "expected a JSON list of dialogues")
        return
    position, number = _skip_space(text, position + 1), 0
    while position < len(text) and text[position] != "]":
        number += 1
        try:
            value, end = decoder.raw_decode(text, position)
            if "\\u" in text[position:end]:
                check_strings(value)
            yield number, value
        except RecordInvalid as exc:
            end = _value_end(text, position)
            yield RowError(number, exc.field, exc.reason)
        except (ValueError, RecursionError) as exc:
            end = _value_end(text, position)
            problem = ValueError("nested too deeply") if isinstance(exc, RecursionError) else exc
            yield RowError(number, "-", json_problem(problem))
            if end <= position:
                return  # the list itself is broken here: nothing after it can be placed
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("]", position):
            yield RowError(number, "-", "invalid JSON: expected ',' or ']' after a dialogue")
            return
    if position >= len(text):
        yield RowError(max(number, 1), "-", "invalid JSON: the list of dialogues is not closed")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _value_end(text: str, position: int) -> int:
    """Where the JSON value starting at `position` ends, found by counting brackets outside
    strings (iteratively: depth costs nothing). `position` itself if it cannot be found."""
    depth, index, in_string = 0, position, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        elif depth == 0 and char == ",":
            return index
        index += 1
    return position


def parse_twitter(data: bytes, default_source: str = "twitter") -> Iterator[Parsed]:
    """The IBM Twitter customer-care format: a JSON list of dialogues (record number = line).
    Every field is type-checked: a dialogue of the wrong shape is one error, never a crash."""
    for item in _json_items(data):
        if isinstance(item, RowError):
            yield item
            continue
        number, dialogue = item
        try:
            yield _twitter_record(dialogue, number, default_source)
        except RecordInvalid as exc:
            yield RowError(number, exc.field, exc.reason)
        except Exception as exc:  # a shape no validator foresaw: that dialogue, not the file
            yield unreadable(number, exc)


def _object(raw: Any, name: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RecordInvalid(name, f"must be an object, not {type(raw).__name__}")
    return raw


def _twitter_turns(content: Any) -> tuple[list[dict[str, Any]], str]:
    if not isinstance(content, list):
        raise RecordInvalid("dialogContent", "must be a list of turns")
    messages: list[dict[str, Any]] = []
    customer = ""
    for index, raw in enumerate(content):
        turn = _object(raw, f"dialogContent[{index}]")
        kind = "customer" if "client" in turn else "agent"
        author = text_field(turn.get("client") or turn.get("agent"), f"dialogContent[{index}]")
        customer = customer or (author if kind == "customer" else "")
        messages.append(
            {
                "author_kind": kind,
                "author_name": author,
                "sent_at": turn.get("datetime"),
                "text": turn.get("message"),
            }
        )
    return messages, customer


def _twitter_record(item: Any, number: int, source: str) -> ConversationRecord:
    header = _object(_object(item, "-").get("dialogHeader"), "dialogHeader")
    start = timestamp_field(header.get("conversationDateTime"), "dialogHeader.conversationDateTime")
    assert start is not None
    messages, customer = _twitter_turns(item.get("dialogContent", []))
    final = item.get("agentURL")
    if final is not None:
        final = _object(final, "agentURL")
    if final and final.get("url_utterance"):
        end = start + _duration(header.get("duration") or "0:0:0")
        times = [
            timestamp_field(m["sent_at"], f"dialogContent[{i}].datetime")
            for i, m in enumerate(messages)
        ]
        last = max((t for t in times if t is not None), default=start)
        messages.append(
            {
                "author_kind": "agent",
                "author_name": header.get("company", ""),
                "sent_at": max(end, last).isoformat(),
                "text": final["url_utterance"],
            }
        )
    body = {
        "source": source,
        "external_id": header.get("sessionID"),
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
    warnings: list[tuple[str, str]] = field(default_factory=list)  # like ConversationRecord's


SURVEY_REQUIRED = ("response_id", "conversation_id", "answered_at")


def parse_surveys(data: bytes, default_source: str = "csv") -> Iterator[SurveyRecord | RowError]:
    seen: dict[str, int] = {}
    conversations: dict[tuple[str, str], int] = {}
    for item in csv_rows(data, SURVEY_REQUIRED):
        if isinstance(item, BadRow):
            yield item.error
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
        key = (record.conversation_source, record.conversation_id)
        first = conversations.setdefault(key, line)
        if first != line:
            yield RowError(
                line,
                "conversation_id",
                f"a second response for this conversation (first on line {first}): "
                "one survey per conversation has one response",
            )
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
    if record.answered_at > datetime.now(UTC) + FUTURE_SLACK:
        record.warnings.append(("answered_at", f"is in the future ({answered:%Y-%m-%d})"))
    if record.sent_at is not None and record.sent_at > record.answered_at:
        record.warnings.append(("sent_at", "is after answered_at"))
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
        if isinstance(item, BadRow):
            yield item.error
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


def _split(raw: str | None, name: str, limit: int = 120) -> list[str]:
    """A ;-separated list of names, each within the column's limit."""
    return [text_field(part, name, limit=limit) for part in (raw or "").split(";") if part.strip()]


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
    for part in _split(row.get("skills"), "skills", limit=130):
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
        teams=_split(row.get("teams"), "teams"),
        lead_of=_split(row.get("lead_of"), "lead_of"),
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
