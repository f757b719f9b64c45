"""Import records and their validation. No Django here: parsers are tested on their own.

Every problem is a `RowError` naming the line (or record number), the field and the reason;
nothing a file holds may raise past a parser (tests/test_hostile_imports.py). Implausible but
possible values (timestamps in the future, a conversation created after its first message)
are imported with a warning on the record, or refused by a strict import.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from supportqa.core.jsontext import (
    first_unstorable,
    unstorable,
)
from supportqa.core.kpis import first_response_seconds

log = logging.getLogger(__name__)

CHANNELS = ("chat", "email", "phone", "social", "other")
STATUSES = ("open", "pending", "resolved", "closed")
LEVELS = ("", "low", "medium", "high")
AUTHOR_KINDS = ("customer", "agent", "bot", "note")
MAX_TEXT = 100_000
MAX_ID = 200
MAX_MESSAGES = 5_000
MAX_TAGS = 100
MAX_ATTACHMENTS_JSON = 20_000  # characters of a message's attachment metadata
# Durations are stored in 32-bit integer columns (seconds): about 68 years.
MAX_SECONDS = 2**31 - 1
# A timestamp more than this far ahead of the import is implausible (a warning).
FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class RecordInvalid(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_strings(value: Any, path: str = "") -> None:
    """Raise RecordInvalid naming the first string in a parsed JSON value that cannot be
    stored (core.jsontext.first_unstorable)."""
    found = first_unstorable(value, path)
    if found is not None:
        raise RecordInvalid(*found)


@dataclass(slots=True)
class MessageRecord:
    author_kind: str
    sent_at: datetime
    text: str
    author: str = ""
    author_name: str = ""
    attachments: list[Any] = field(default_factory=list)
    # The source's text of `sent_at` when it is exactly `sent_at.isoformat()` in UTC (what most
    # exports write): the writer reuses it instead of formatting a million datetimes.
    sent_text: str = ""


@dataclass
class ConversationRecord:
    line: int
    source: str
    external_id: str
    created_at: datetime
    messages: list[MessageRecord]
    channel: str = "chat"
    subject: str = ""
    customer_id: str = ""
    customer_name: str = ""
    customer_email: str = ""
    agent: str = ""
    team: str = ""
    category: str = ""
    urgency: str = ""
    complexity: str = ""
    status: str = "open"
    tags: list[str] = field(default_factory=list)
    resolved_at: datetime | None = None
    reopen_count: int = 0
    # Derived from the messages when the record is made (in the parsing process, background.py).
    first_response_at: datetime | None = None
    # sha256 of the source line when the parser has one: cheaper than hashing the fields.
    source_digest: str = ""
    # (field, reason) of implausible values: imported with a warning, refused when strict.
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.external_id)

    def content_hash(self) -> str:
        """Hash of every field but the line number (a hand-built list: asdict is 10x slower)."""
        if self.source_digest:
            return self.source_digest
        messages = [
            [m.author_kind, m.sent_at.isoformat(), m.text, m.author, m.author_name, m.attachments]
            for m in self.messages
        ]
        body = [
            self.source,
            self.external_id,
            self.created_at.isoformat(),
            self.channel,
            self.subject,
            self.customer_id,
            self.customer_name,
            self.customer_email,
            self.agent,
            self.team,
            self.category,
            self.urgency,
            self.complexity,
            self.status,
            self.tags,
            self.resolved_at.isoformat() if self.resolved_at else None,
            self.reopen_count,
            messages,
        ]
        return hashlib.sha256(json.dumps(body, default=str).encode()).hexdigest()

    def redacted(self, redact: Callable[[str], str]) -> ConversationRecord:
        for message in self.messages:
            message.text = redact(message.text)
        self.subject = redact(self.subject)
        self.customer_email = redact(self.customer_email) if self.customer_email else ""
        self.source_digest = ""  # the stored text now differs from the source line
        return self


# --- field validators --------------------------------------------------------------------------


def text_field(raw: Any, name: str, *, required: bool = False, limit: int = MAX_ID) -> str:
    if raw is None or raw == "":
        if required:
            raise RecordInvalid(name, "is required")
        return ""
    if not isinstance(raw, str):
        raw = _number_as_text(raw, name)
    problem = unstorable(raw)
    if problem:
        raise RecordInvalid(name, problem)
    value: str = raw.strip()
    if required and not value:
        raise RecordInvalid(name, "is required")
    if len(value) > limit:
        raise RecordInvalid(name, f"is {len(value)} characters long; the limit is {limit}")
    return value


def _number_as_text(raw: Any, name: str) -> str:
    """A JSON number given where text is expected, as text; any other type is refused."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise RecordInvalid(name, f"must be text, not {type(raw).__name__}")
    return str(raw)  # JSON numbers reach here with at most 4,300 digits (load_json)


def choice_field(raw: Any, name: str, choices: tuple[str, ...], default: str) -> str:
    value = text_field(raw, name).lower() or default
    if value not in choices:
        allowed = ", ".join(c for c in choices if c)
        raise RecordInvalid(name, f"{value!r} is not one of: {allowed}")
    return value


def timestamp_field(raw: Any, name: str, *, required: bool = True) -> datetime | None:
    if raw is None or raw == "":
        if required:
            raise RecordInvalid(name, "is required")
        return None
    if not isinstance(raw, str):
        raise RecordInvalid(name, f"must be an ISO-8601 timestamp string, not {type(raw).__name__}")
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RecordInvalid(name, f"{raw[:40]!r} is not an ISO-8601 timestamp") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # documented: naive timestamps are UTC
    if not 1990 <= value.year <= 2200:
        raise RecordInvalid(name, f"year {value.year} is out of range")
    return value.astimezone(UTC)


_WHOLE = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)


def int_field(raw: Any, name: str, *, low: int, high: int, required: bool = False) -> int | None:
    """A whole number in [low, high]: ASCII digits only (no other scripts' digits, no
    5,000-digit numbers), from text or a JSON number."""
    if raw is None or raw == "":
        if required:
            raise RecordInvalid(name, "is required")
        return None
    value = _whole_number(raw, name)
    if not low <= value <= high:
        shown = str(value) if abs(value) < 10**20 else "a number that large"
        raise RecordInvalid(name, f"{shown} is outside {low}–{high}")
    return value


def _whole_number(raw: Any, name: str) -> int:
    """`raw` (neither None nor empty) as an int: a JSON integer, a float with no fraction or
    text of at most 18 ASCII digits; anything else is refused."""
    if isinstance(raw, bool):
        raise RecordInvalid(name, "must be a whole number, not a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()):
        return int(raw.strip())
    shown = raw[:40] if isinstance(raw, str) else type(raw).__name__
    raise RecordInvalid(name, f"{shown!r} is not a whole number")


def tags_field(raw: Any, name: str = "tags") -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        items: list[Any] = raw.split(";")
    elif isinstance(raw, list):
        items = raw
    else:
        raise RecordInvalid(name, "must be a list of strings or a ;-separated string")
    if len(items) > MAX_TAGS:
        raise RecordInvalid(name, f"has {len(items)} tags; the limit is {MAX_TAGS}")
    tags = [text_field(item, name, limit=100) for item in items]
    return [tag for tag in tags if tag]


AUTHOR_KIND_SET = frozenset(AUTHOR_KINDS)


def _utc_or_none(raw: str) -> datetime | None:
    """Fast path of `timestamp_field`: a well-formed, zoned, in-range value, else None."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if value.tzinfo is None or not 1990 <= value.year <= 2200:
        return None
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _is_utc_isoformat(raw: str) -> bool:
    """Whether a string `fromisoformat` accepted is what `isoformat()` gives back for it:
    `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, with a fraction only when it is not zero."""
    size = len(raw)
    return (
        (size == 25 or (size == 32 and raw[19] == "." and raw[20:26] != "000000"))
        and raw[4] == "-"
        and raw[7] == "-"
        and raw[10] == "T"
        and raw[13] == ":"
        and raw.endswith("+00:00")
    )


def _plain_names(author: Any, name: Any) -> tuple[str, str] | None:
    """Fast path of `text_field` for a message's author and author name: both stripped when
    each is missing or short text without a NUL, else None."""
    author, name = "" if author is None else author, "" if name is None else name
    if (
        type(author) is type(name) is str
        and len(author) <= MAX_ID
        and len(name) <= MAX_ID
        and "\x00" not in author
        and "\x00" not in name
    ):
        return author.strip(), name.strip()
    return None


def message_record(raw: Any, index: int) -> MessageRecord:
    """Validate one message. Well-formed input takes a fast path (a million messages per
    import); anything unusual goes through the field validators, which give the same result
    or name the problem."""
    if type(raw) is dict:
        text, kind, sent = raw.get("text"), raw.get("author_kind"), raw.get("sent_at")
        names = _plain_names(raw.get("author"), raw.get("author_name"))
        if (
            type(text) is type(kind) is type(sent) is str
            and len(text) <= MAX_TEXT
            and "\x00" not in text
            and kind in AUTHOR_KIND_SET
            and names is not None
            and not raw.get("attachments")
        ):
            sent_at = _utc_or_none(sent)
            if sent_at is not None:
                author, name = names
                sent_text = sent if _is_utc_isoformat(sent) else ""
                return MessageRecord(kind, sent_at, text, author, name, [], sent_text)
    return _checked_message_record(raw, index)


def _checked_message_record(raw: Any, index: int) -> MessageRecord:
    prefix = f"messages[{index}]"
    if not isinstance(raw, dict):
        raise RecordInvalid(prefix, "must be an object")
    text = raw.get("text")
    if not isinstance(text, str):
        raise RecordInvalid(f"{prefix}.text", "is required and must be text")
    if len(text) > MAX_TEXT:
        raise RecordInvalid(f"{prefix}.text", f"is {len(text)} characters; the limit is {MAX_TEXT}")
    if unstorable(text):
        raise RecordInvalid(f"{prefix}.text", unstorable(text))
    attachments = attachments_field(raw.get("attachments"), f"{prefix}.attachments")
    sent_at = timestamp_field(raw.get("sent_at"), f"{prefix}.sent_at")
    assert sent_at is not None
    return MessageRecord(
        author_kind=choice_field(raw.get("author_kind"), f"{prefix}.author_kind", AUTHOR_KINDS, ""),
        sent_at=sent_at,
        text=text,
        author=text_field(raw.get("author"), f"{prefix}.author"),
        author_name=text_field(raw.get("author_name"), f"{prefix}.author_name"),
        attachments=attachments,
    )


def attachments_field(raw: Any, name: str) -> list[Any]:
    """Attachment metadata: a list of objects (name, type, size, link, …), kept as given but
    bounded, since it is stored as JSON beside every message."""
    if raw is None or raw == []:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise RecordInvalid(name, "must be a list of objects")
    size = len(json.dumps(raw, allow_nan=False))
    if size > MAX_ATTACHMENTS_JSON:
        raise RecordInvalid(
            name, f"is {size} characters as JSON; the limit is {MAX_ATTACHMENTS_JSON}"
        )
    check_strings(raw, name)
    return raw


def _plausibility(record: ConversationRecord, now: datetime) -> None:
    """Warnings for what is possible but suspicious; errors for what the columns cannot hold."""
    if record.resolved_at and record.resolved_at < record.created_at:
        raise RecordInvalid("resolved_at", "is earlier than created_at")
    if (
        record.resolved_at
        and (record.resolved_at - record.created_at).total_seconds() > MAX_SECONDS
    ):
        raise RecordInvalid("resolved_at", "is more than 68 years after created_at")
    first = record.messages[0].sent_at
    if record.created_at > first:
        record.warnings.append(
            (
                "created_at",
                f"is after the conversation's first message ({first:%Y-%m-%d %H:%M} UTC)",
            )
        )
    later = now + FUTURE_SLACK
    for name, value in (
        ("created_at", record.created_at),
        ("resolved_at", record.resolved_at),
        ("messages", record.messages[-1].sent_at),
    ):
        if value is not None and value > later:
            record.warnings.append((name, f"is in the future ({value:%Y-%m-%d})"))


def conversation_record(raw: Any, line: int, default_source: str) -> ConversationRecord:
    """Validate one conversation object (the native JSONL schema, docs/import-formats.md)."""
    if not isinstance(raw, dict):
        raise RecordInvalid("-", "each line must be a JSON object")
    messages = _message_records(raw.get("messages"))
    customer = raw.get("customer") or {}
    if not isinstance(customer, dict):
        raise RecordInvalid("customer", "must be an object")
    created = timestamp_field(raw.get("created_at"), "created_at", required=False)
    record = ConversationRecord(
        line=line,
        source=text_field(raw.get("source") or default_source, "source", required=True, limit=64),
        external_id=text_field(raw.get("external_id"), "external_id", required=True),
        created_at=created or messages[0].sent_at,
        messages=messages,
        channel=choice_field(raw.get("channel"), "channel", CHANNELS, "chat"),
        subject=text_field(raw.get("subject"), "subject", limit=300),
        customer_id=text_field(customer.get("external_id"), "customer.external_id"),
        customer_name=text_field(customer.get("name"), "customer.name"),
        customer_email=text_field(customer.get("email"), "customer.email", limit=254),
        agent=text_field(raw.get("agent"), "agent"),
        team=text_field(raw.get("team"), "team", limit=120),
        category=text_field(raw.get("category"), "category", limit=120),
        urgency=choice_field(raw.get("urgency"), "urgency", LEVELS, ""),
        complexity=choice_field(raw.get("complexity"), "complexity", LEVELS, ""),
        status=choice_field(raw.get("status"), "status", STATUSES, "open"),
        tags=tags_field(raw.get("tags")),
        resolved_at=timestamp_field(raw.get("resolved_at"), "resolved_at", required=False),
        reopen_count=int_field(raw.get("reopen_count"), "reopen_count", low=0, high=10_000) or 0,
    )
    _plausibility(record, datetime.now(UTC))
    record.first_response_at = _first_response_at(messages, record.created_at)
    return record


def _message_records(raw: Any) -> list[MessageRecord]:
    """A conversation's messages, validated and in the order they were sent."""
    if not isinstance(raw, list) or not raw:
        raise RecordInvalid("messages", "must be a non-empty list")
    if len(raw) > MAX_MESSAGES:
        raise RecordInvalid("messages", f"has {len(raw)} items; the limit is {MAX_MESSAGES}")
    messages = [message_record(m, i) for i, m in enumerate(raw)]
    messages.sort(key=lambda m: m.sent_at)
    return messages


def _first_response_at(messages: list[MessageRecord], created_at: datetime) -> datetime | None:
    """When the customer first had a reply (core.kpis.first_response_seconds), if they did."""
    reply = first_response_seconds([(m.author_kind, m.sent_at) for m in messages], created_at)
    if reply is None:
        return None
    if reply > MAX_SECONDS:
        raise RecordInvalid("messages", "the first reply came more than 68 years later")
    return created_at + timedelta(seconds=reply)


def unreadable(line: int, exc: Exception) -> RowError:
    """The row error for input that made a validator fail unexpectedly (a bug to report: the
    tests assert this never happens on the hostile corpus and the generated files)."""
    log.exception("import row %s could not be read", line)
    return RowError(line, "-", f"{UNREADABLE} ({type(exc).__name__}); please report this file")


UNREADABLE = "could not be read"


Parsed = ConversationRecord | RowError


def dedupe(records: Iterable[Parsed]) -> Iterator[Parsed]:
    """Reject a second record with the same (source, external id) in one file."""
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        if isinstance(record, ConversationRecord):
            first = seen.setdefault(record.key, record.line)
            if first != record.line:
                yield RowError(
                    record.line,
                    "external_id",
                    f"duplicate id {record.external_id!r} (first on line {first})",
                )
                continue
        yield record


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
