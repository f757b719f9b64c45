"""JSON and text as people's files and forms bring them: what the databases cannot store,
and JSON parsing that names the problem instead of raising something unexpected."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str:
    """Why a text cannot be stored ("" if it can): PostgreSQL refuses NUL characters, and a
    lone surrogate (from a JSON \\u escape, or a byte that is not UTF-8 read with
    surrogateescape) is not Unicode text."""
    if text.isascii() and "\x00" not in text:  # nearly every text: no regex needed
        return ""
    found = _UNSTORABLE.search(text)
    if found is None:
        return ""
    char = found.group()
    if char == "\x00":
        return "contains a NUL character"
    if "\udc80" <= char <= "\udcff":
        return "is not valid UTF-8"
    return f"contains an unpaired surrogate (\\u{ord(char):04x}), which is not text"


def first_unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """(path, problem) of the first string, key or value, in a parsed JSON value that cannot
    be stored; None if there is none. Iterative: depth cannot exhaust the stack."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        problem = _own_problem(item)
        if problem:
            return where or "-", problem
        stack.extend(_children(item, where))
    return None


def _own_problem(item: Any) -> str:
    """Why a string, or one of a dict's keys, cannot be stored ("" if it can)."""
    if isinstance(item, str):
        return unstorable(item)
    if isinstance(item, dict):
        for key in item:
            problem = unstorable(key) if isinstance(key, str) else ""
            if problem:
                return f"a key {problem}"
    return ""


def _children(item: Any, where: str) -> Iterable[tuple[Any, str]]:
    """The values inside a dict or list, each with its path."""
    if isinstance(item, dict):
        return ((child, f"{where}.{key}" if where else str(key)) for key, child in item.items())
    if isinstance(item, list):
        return ((child, f"{where}[{i}]") for i, child in enumerate(item))
    return ()


def no_json_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(text: str | bytes) -> Any:
    """json.loads refusing NaN and Infinity. Every problem, a value nested too deeply or an
    integer too long to convert included, raises ValueError (never RecursionError)."""
    try:
        return json.loads(text, parse_constant=no_json_constants)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def json_problem(exc: ValueError) -> str:
    """A JSON parsing failure as one line for a person."""
    if isinstance(exc, json.JSONDecodeError):
        where = (
            f"column {exc.colno}" if exc.lineno == 1 else f"line {exc.lineno}, column {exc.colno}"
        )
        return f"invalid JSON: {exc.msg} at {where}"
    if "digits" in str(exc):
        return "invalid JSON: a number has more than 4,300 digits"
    return f"invalid JSON: {str(exc).split(';')[0]}"
