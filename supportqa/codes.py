"""Opaque public codes: what URLs and payloads use instead of integer primary keys."""

from __future__ import annotations

import os

_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/1/i/l/o: codes get read aloud and retyped
# Random bytes below _LIMIT map to a character (each equally likely); the others are dropped.
_LIMIT = 256 - 256 % len(_ALPHABET)
_TABLE = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) if b < _LIMIT else 0 for b in range(256))
_DROP = bytes(range(_LIMIT, 256))


def new_code(length: int = 12) -> str:
    """A random code; 31**12 ≈ 8e17 values. Codes identify, they do not authorise: every view
    still checks the user's scope. (One `translate` over random bytes: an import of 100,000
    conversations makes 200,000 codes.)"""
    code = b""
    while len(code) < length:
        code += os.urandom(length + 4).translate(_TABLE, _DROP)
    return code[:length].decode("ascii")
