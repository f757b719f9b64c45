"""Opaque public codes: what URLs and payloads use instead of integer primary keys."""

from __future__ import annotations

import secrets

_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/1/i/l/o: codes get read aloud and retyped


def new_code(length: int = 12) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
