"""Opaque public codes: what URLs and payloads use instead of integer primary keys."""

from __future__ import annotations

import os

_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/1/i/l/o: codes get read aloud and retyped
# Bytes at or above this are redrawn, so every character is equally likely.
_LIMIT = 256 - 256 % len(_ALPHABET)


def new_code(length: int = 12) -> str:
    """A random code; 31**12 ≈ 8e17 values. Codes identify, they do not authorise: every view
    still checks the user's scope."""
    chars: list[str] = []
    while len(chars) < length:
        chars.extend(_ALPHABET[b % len(_ALPHABET)] for b in os.urandom(length * 2) if b < _LIMIT)
    return "".join(chars[:length])
