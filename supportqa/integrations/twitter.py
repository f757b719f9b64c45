"""The IBM Twitter customer-care format (`supportqa import twitter`): a JSON list of dialogues."""

from __future__ import annotations

import json
import mmap
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from supportqa.core.jsontext import json_problem, no_json_constants
from supportqa.integrations.records import (
    MAX_SECONDS,
    ConversationRecord,
    Parsed,
    RecordInvalid,
    RowError,
    check_strings,
    conversation_record,
    text_field,
    timestamp_field,
    unreadable,
)

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


def json_items(data: bytes | mmap.mmap) -> Iterator[tuple[int, Any] | RowError]:
    """The elements of a top-level JSON list, one at a time: (number, value), or a RowError
    for an element that cannot be read (nested too deeply, NaN, a 5,000-digit number, a lone
    surrogate or NUL), after which reading goes on with the next element."""
    try:
        text = bytes(data).decode("utf-8").removeprefix("\ufeff")
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
        item, end = _list_item(decoder, text, position, number)
        yield item
        if end is None:
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


def _list_item(
    decoder: json.JSONDecoder, text: str, position: int, number: int
) -> tuple[tuple[int, Any] | RowError, int | None]:
    """The list element starting at `position`: (number, value) or a RowError, and where it
    ends; None for the end when invalid JSON leaves no way to find it."""
    try:
        value, end = decoder.raw_decode(text, position)
        if "\\u" in text[position:end]:
            check_strings(value)
        return (number, value), end
    except RecordInvalid as exc:
        return RowError(number, exc.field, exc.reason), _value_end(text, position)
    except (ValueError, RecursionError) as exc:
        problem = ValueError("nested too deeply") if isinstance(exc, RecursionError) else exc
        end = _value_end(text, position)
        return RowError(number, "-", json_problem(problem)), end if end > position else None


def _value_end(text: str, position: int) -> int:
    """Where the JSON value starting at `position` ends, found by counting brackets outside
    strings (iteratively: depth costs nothing). `position` itself if it cannot be found."""
    depth, index = 0, position
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _string_end(text, index + 1)
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


def _string_end(text: str, index: int) -> int:
    """The index of the quote closing a JSON string whose characters start at `index`; past
    the end of `text` if there is none."""
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 1
        elif char == '"':
            return index
        index += 1
    return index


def parse_twitter(data: bytes, default_source: str = "twitter") -> Iterator[Parsed]:
    """The IBM Twitter customer-care format: a JSON list of dialogues (record number = line).
    Every field is type-checked: a dialogue of the wrong shape is one error, never a crash."""
    for item in json_items(data):
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
