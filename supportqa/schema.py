"""Schema operations the migrations share."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def without_plain_index(
    field: migrations.AlterField, table: str, column: str, name: str
) -> migrations.SeparateDatabaseAndState:
    """`field` (an AlterField to db_index=False) in the migrations' state; in the database, the
    column's plain index dropped by name, found by introspection (an AlterField would make
    SQLite copy the whole table, and the copy would lose the table's rollup triggers).
    Backwards, created again as `name`, Django's name for it (the same on both databases)."""

    def plain_indexes(schema_editor: Any) -> list[str]:
        with schema_editor.connection.cursor() as cursor:
            found = schema_editor.connection.introspection.get_constraints(cursor, table)
        return [
            index
            for index, about in found.items()
            if about["index"] and not about["unique"] and about["columns"] == [column]
        ]

    def drop(apps: Any, schema_editor: Any) -> None:
        for index in plain_indexes(schema_editor):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(index)}")

    def create(apps: Any, schema_editor: Any) -> None:
        if not plain_indexes(schema_editor):
            schema_editor.execute(f"CREATE INDEX {name} ON {table} ({column})")

    return migrations.SeparateDatabaseAndState(
        state_operations=[field], database_operations=[migrations.RunPython(drop, create)]
    )
