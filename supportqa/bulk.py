"""Bulk writes for large imports, in plain SQL with Django's placeholders (`%s`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def executemany(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`executemany` on the current connection. On SQLite the driver's own method is called
    (inside Django's error wrapper, so errors are still Django's): Django's cursor peeks at
    the rows through `itertools.tee`, which costs a sixth of a million-row message insert
    (bench/import.py)."""
    if not rows:
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.wrap_database_errors:
            connection.connection.executemany(sql.replace("%s", "?"), rows)
    else:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
