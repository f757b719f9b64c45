"""Bulk writes for large imports, in plain SQL with Django's placeholders (`%s`), and bulk
reads for streamed exports."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Model

log = logging.getLogger(__name__)

T = TypeVar("T")


def in_one_transaction(lines: Iterable[T]) -> Iterator[T]:
    """`lines` produced inside one transaction: for a streamed export, whose queries read with
    `iterator()`. Outside a transaction Django declares PostgreSQL's server-side cursor WITH
    HOLD, and PostgreSQL then computes the whole result before it sends the first row (the
    conversation export's first byte took 1.6 s at a million conversations); inside one, rows
    come as they are fetched, and the whole export reads one snapshot. Nothing is written:
    when the response is closed early the transaction is rolled back."""
    with transaction.atomic():
        yield from lines


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


# Fields whose Python values need the field's own preparation before the driver sees them;
# the others (numbers, text, booleans, keys) go as they are.
_LENGTH = re.compile(r"\(\d+\)")
_PREPARED = {
    "JSONField", "DateTimeField", "DateField", "TimeField", "DurationField", "DecimalField",
    "UUIDField", "BinaryField",
}  # fmt: skip


def _prepared(fields: Sequence[Any], rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """The rows with the values of these fields (each row's first values; any after them
    pass as they are) prepared by their fields where the driver cannot take them as they are
    (`_PREPARED`), through this thread's connection itself: through the `connection` proxy
    every value looked it up again (a sixth of AutoQA's storing time)."""
    prepare = [f.get_internal_type() in _PREPARED for f in fields]
    if not any(prepare):
        return rows
    db = connections[DEFAULT_DB_ALIAS]
    count = len(fields)
    return [
        [
            *(
                f.get_db_prep_save(v, db) if p else v
                for f, p, v in zip(fields, prepare, row[:count], strict=True)
            ),
            *row[count:],
        ]
        for row in rows
    ]


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    prepared: bool = False,
    on_conflict: str = "",
) -> None:
    """Insert plain values into `model`'s table without building model instances: on
    PostgreSQL one statement for all the rows (COPY, or with `on_conflict` an INSERT from
    arrays: `unnest`), so statement-level triggers fire once; `executemany` on SQLite.
    `columns` are attnames (`review_id`). Values are prepared by their fields (JSON, dates)
    unless `prepared` says the caller already did (the importer, at a million rows).
    `on_conflict`: the statement's ON CONFLICT clause, if any."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    if not prepared:
        rows = _prepared(fields, rows)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(fields))
        executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {on_conflict}", rows)
        return
    if on_conflict:  # COPY cannot resolve conflicts: one array per column instead
        # Arrays of the base types (varchar, not varchar(n)): a cast to a length would cut
        # an over-long value where an INSERT refuses it.
        arrays = ", ".join(f"%s::{_LENGTH.sub('', f.db_type(connection))}[]" for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {on_conflict}",
                [list(column) for column in zip(*rows, strict=True)],
            )
        return
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def update_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: str = "",
    where: str = "",
    params: Sequence[Any] = (),
) -> None:
    """Set `columns` (attnames of plain fields) of many rows of `model`'s table to each row's
    own values: a row is the new values followed by the row's `key` (a unique column's
    attname; by default the primary key), each key once. Values are prepared by their fields
    where `insert_rows` prepares them (JSON, dates). On PostgreSQL one statement for all
    the rows (an UPDATE from arrays), so statement-level triggers fire once and the rows go
    to the server once; `executemany` on SQLite. `where`: a condition on the table's columns
    (`status = %s`) every updated row must meet too, with its `params`."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    rows = _prepared(fields, rows)  # the key, last, as it is
    table = connection.ops.quote_name(model._meta.db_table)
    matched = model._meta.get_field(key) if key else model._meta.pk
    column = connection.ops.quote_name(matched.column)
    names = [connection.ops.quote_name(f.column) for f in fields]
    also = f" AND ({where})" if where else ""
    if connection.vendor != "postgresql":
        sets = ", ".join(f"{name} = %s" for name in names)
        executemany(
            f"UPDATE {table} SET {sets} WHERE {column} = %s{also}",
            [[*row, *params] for row in rows],
        )
        return
    types = [_LENGTH.sub("", f.db_type(connection)) for f in fields]
    types.append(_LENGTH.sub("", matched.db_type(connection)))
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    sets = ", ".join(f"{name} = v.v{i}" for i, name in enumerate(names))
    aliases = ", ".join(f"v{i}" for i in range(len(names)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({aliases}, k) "
            f"WHERE {table}.{column} = v.k{also}",
            [list(values) for values in zip(*rows, strict=True)] + list(params),
        )


class GrowingTables:
    """Keeps PostgreSQL's statistics of tables a long write fills in step with them: they are
    refreshed each time the rows written since the planner last counted reach the rows it
    counted then (about log2 times in an import into an empty database, never in a small
    import into a large one). PostgreSQL takes a table it has never analysed for a small one,
    and its autovacuum looks only once a minute: in a first import of 20,000 conversations
    each batch's repeat-contact read scanned the whole conversations table (55 ms a read at
    20,000 rows, growing with every batch) where the customer index would answer in a
    millisecond. The first model's table is the one counted. SQLite plans a table without
    statistics as a large one, and the importer analyses it once at the end
    (`refresh_planner_statistics`), so there this does nothing."""

    def __init__(self, *models: type[Model], minimum: int = 1000) -> None:
        self.tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
        self.minimum = minimum
        self.active = connection.vendor == "postgresql"
        self.known = planner_rows(self.tables[0]) if self.active else 0
        self.since = 0

    def wrote(self, rows: int) -> None:
        """Count `rows` new rows of the first table; refresh the statistics when it is due.
        In a transaction PostgreSQL counts the transaction's own rows too. A refresh the
        database refuses is logged, not raised (in a savepoint: the caller's transaction goes
        on): the rows it follows are written."""
        self.since += rows
        if not self.active or self.since < max(self.minimum, self.known):
            return
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(self.tables)}")
        except DatabaseError:
            log.warning("ANALYZE %s failed; the planner keeps its older counts", self.tables)
            return
        self.known, self.since = planner_rows(self.tables[0]), 0


def planner_rows(table: str) -> int:
    """How many rows PostgreSQL's planner believes a table holds (0 before it has looked).
    `table`: its quoted name."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return max(int(cursor.fetchone()[0]), 0)


def refresh_planner_statistics() -> None:
    """After a large write, let SQLite's query planner see the new sizes (ANALYZE, on a
    sample of each index: milliseconds at a million rows). Without statistics it may read a
    table whole where an index range would do (the AutoQA page's partial days: 280 ms instead
    of 12 ms at 100,000 conversations). PostgreSQL's autovacuum does this by itself."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
