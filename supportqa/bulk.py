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


def refresh_planner_statistics() -> None:
    """After a large write, let SQLite's query planner see the new sizes (ANALYZE, on a
    sample of each index: milliseconds at a million rows). Without statistics it may read a
    table whole where an index range would do (the AutoQA page's partial days: 280 ms instead
    of 12 ms at 100,000 conversations). PostgreSQL's autovacuum does this by itself."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
