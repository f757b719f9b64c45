"""Database triggers that mark the days whose raw rows change (reports.models.DirtyDay), for
the rollups' migrations (this app's and higher apps').

PostgreSQL: statement-level triggers with transition tables, one INSERT … SELECT per statement,
so a bulk import pays once per batch, not once per row. SQLite: row-level triggers (its only
kind). Days are UTC dates, like the rollups'.

A table's days are given twice: for SQLite, (kind, an expression of the day of row `r`, or a
SELECT of a column `d` naming several days of row `r`); for PostgreSQL, a SELECT of (kind, day)
from `{rows}` (the transition table, aliased r). On SQLite a SELECT's days are those of other
tables' rows, which their own triggers marked when they were written, so it marks nothing on
install (PostgreSQL runs its SELECT over the whole table).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

MARK = "reports_dirtyday"


def operation(
    name: str, sqlite_days: dict[str, list[tuple[str, str]]], postgres_days: dict[str, str]
) -> migrations.RunPython:
    """The migration operation that installs these triggers (and removes them when reversed)."""

    def create(apps: Any, schema_editor: Any) -> None:
        install(schema_editor, name, sqlite_days, postgres_days)

    def drop(apps: Any, schema_editor: Any) -> None:
        uninstall(schema_editor, name, list(sqlite_days))

    return migrations.RunPython(create, drop)


def reinstall(
    name: str,
    sqlite_days: dict[str, list[tuple[str, str]]],
    postgres_days: dict[str, str],
    tables: list[str],
    changes: dict[str, list[str]] | None = None,
    mark: bool = True,
) -> migrations.RunPython:
    """The operation a migration that changes a marked table's columns ends with: SQLite
    remakes a table to add most columns, and the remade table has no triggers. (PostgreSQL
    keeps them; they are dropped and created the same.) Also how a migration changes a
    table's triggers; `mark=False` when the rollups they keep are already right."""

    def again(apps: Any, schema_editor: Any) -> None:
        uninstall(schema_editor, name, tables)
        install(
            schema_editor,
            name,
            {t: sqlite_days[t] for t in tables},
            {t: postgres_days[t] for t in tables},
            changes,
            mark,
        )

    return migrations.RunPython(again, migrations.RunPython.noop)


def install(
    schema_editor: Any,
    name: str,
    sqlite_days: dict[str, list[tuple[str, str]]],
    postgres_days: dict[str, str],
    changes: dict[str, list[str]] | None = None,
    mark: bool = True,
) -> None:
    """Create the triggers, then mark every day that already has rows (the first read
    computes their rollups) unless `mark` is false. `changes`: for a table named there, an
    update marks days only for the rows where one of those columns changed (the days'
    rollups depend on no other column of it); its primary key must be `id`, which an update
    never changes."""
    postgres = schema_editor.connection.vendor == "postgresql"
    changes = changes or {}
    for table in sqlite_days:
        statements = (
            _postgres(name, table, postgres_days[table], changes.get(table))
            if postgres
            else _sqlite(name, table, sqlite_days[table], changes.get(table))
        )
        for statement in statements:
            schema_editor.execute(statement)
        if not mark:
            continue
        if postgres:
            schema_editor.execute(_postgres_mark(postgres_days[table].format(rows=table)))
        else:
            for kind, day in sqlite_days[table]:
                if _is_set(day):
                    continue
                schema_editor.execute(
                    f"INSERT OR IGNORE INTO {MARK} (kind, day) SELECT DISTINCT '{kind}', d "
                    f"FROM (SELECT {day} AS d FROM {table} r) WHERE d IS NOT NULL"
                )


def uninstall(schema_editor: Any, name: str, tables: list[str]) -> None:
    for table in tables:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}_{table}() CASCADE")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{table}_{event}")


def _sqlite(
    name: str, table: str, days: list[tuple[str, str]], changed: list[str] | None = None
) -> list[str]:
    statements = []
    for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        body = "".join(
            f"INSERT OR IGNORE INTO {MARK} (kind, day) SELECT '{kind}', d FROM "
            f"({_of_row(_one_or_set(day), row)}) WHERE d IS NOT NULL; "
            for row in rows
            for kind, day in days
        )
        when = ""
        if event == "UPDATE" and changed:
            when = "WHEN " + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in changed) + " "
        statements.append(
            f"CREATE TRIGGER {name}_{table}_{event.lower()} AFTER {event} ON {table} "
            f"FOR EACH ROW {when}BEGIN {body}END"
        )
    return statements


def _of_row(sql: str, row: str) -> str:
    """The SQL with the row alias `r.` (a whole word) written as NEW. or OLD."""
    return re.sub(r"\br\.", f"{row}.", sql)


def _is_set(day: str) -> bool:
    return day.split(maxsplit=1)[0].upper() == "SELECT"


def _one_or_set(day: str) -> str:
    """A SELECT of the column `d`: a set of days as it is, one day's expression wrapped."""
    return day if _is_set(day) else f"SELECT {day} AS d"


# PostgreSQL: a day's advisory lock (two-key space; the app's other advisory locks use the
# one-key space, which does not overlap). A writer holds it shared, from before its marks until
# it commits; a recomputation takes a mark only if it gets it exclusive (reports.rollups
# `_take_marks`). Without it a recomputation could take a mark that an uncommitted writer had
# found already there (ON CONFLICT DO NOTHING locks nothing), compute the day without that
# writer's rows and leave it unmarked once the writer commits. Days 366 apart share a lock, so
# a transaction that writes years of days (a category rule applied to every conversation)
# holds at most 366 per kind inside PostgreSQL's lock table (6,400 entries by default); the
# sharing only makes a recomputation leave a day for later, or a writer wait for one (until
# the recomputing transaction ends), never a figure wrong.
DAY_LOCK = "hashtext(kind), mod(day - DATE '0001-01-01', 366)"


def _postgres_mark(select: str) -> str:
    return (
        f"WITH days AS (SELECT DISTINCT kind, day FROM ({select}) AS days(kind, day) "
        "WHERE day IS NOT NULL), "
        f"held AS MATERIALIZED (SELECT kind, day, pg_advisory_xact_lock_shared({DAY_LOCK}) "
        f"FROM days) INSERT INTO {MARK} (kind, day) SELECT kind, day FROM held "
        "ON CONFLICT DO NOTHING"
    )


def _postgres(name: str, table: str, select: str, changed: list[str] | None = None) -> list[str]:
    function = f"{name}_{table}"
    new, old = (
        _postgres_mark(select.format(rows="new_rows")),
        _postgres_mark(select.format(rows="old_rows")),
    )
    updated_new, updated_old = new, old
    if changed:
        # The rows of the update where one of the columns changed, as each transition table.
        differ = (
            f"({', '.join(f'n.{c}' for c in changed)}) IS DISTINCT FROM "
            f"({', '.join(f'o.{c}' for c in changed)})"
        )
        pairs = f"new_rows n JOIN old_rows o ON o.id = n.id WHERE {differ}"
        updated_new = _postgres_mark(select.format(rows=f"(SELECT n.* FROM {pairs})"))
        updated_old = _postgres_mark(select.format(rows=f"(SELECT o.* FROM {pairs})"))
    statements = [
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {new}; END IF; "
        f"IF TG_OP = 'UPDATE' THEN {updated_new}; {updated_old}; END IF; "
        f"IF TG_OP = 'DELETE' THEN {old}; END IF; "
        "RETURN NULL; END $$"
    ]
    for event, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        statements.append(
            f"CREATE TRIGGER {function}_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return statements
