"""Integrity checks that `supportqa audit_verify` runs besides the hash chain. Each app
registers its own in its AppConfig.ready, so the audit app depends on none of them."""

from __future__ import annotations

from collections.abc import Callable

# (what is checked, a function returning one line per problem found)
CHECKS: list[tuple[str, Callable[[], list[str]]]] = []


def register(subject: str, check: Callable[[], list[str]]) -> None:
    if all(existing != subject for existing, _ in CHECKS):
        CHECKS.append((subject, check))
