"""Reads compiled once and run many times: a queryset built with `Slot`s where its values
go is compiled to SQL once, kept by a key naming everything else the SQL depends on, and run
with each call's values in its slots.

Building and compiling a rollup read (a UNION of up to a dozen grouped SELECTs) costs Django
10-15 ms on this machine, several times the statement's own time, and a dashboard makes up to
eight of them; the slots' values (days, hours, moments) are all that changes between two views
of a page. The key is the caller's to make complete: the SQL of a key must never change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.core.recent import Recent

KEPT = 512  # statements kept per process, the least recently used dropped first


class _Marker:
    """Where a slot's value goes among a compiled statement's parameters."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<slot {self.name}>"


class Slot(models.Expression):
    """A value given at each run (`Statement.rows`), of this field's type."""

    def __init__(self, name: str, output_field: models.Field) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [_Marker(self.name)]


class Slots:
    """The slots of one statement being built: `slots(name, field)` makes one."""

    def __init__(self) -> None:
        self.fields: dict[str, models.Field] = {}

    def __call__(self, name: str, field: models.Field) -> Slot:
        self.fields[name] = field
        return Slot(name, field)


@dataclass(frozen=True)
class Statement:
    """A compiled read: its SQL, its parameters (slot markers among them), the field of each
    slot and the converters Django would apply to its result columns."""

    sql: str
    params: tuple[Any, ...]
    fields: Mapping[str, models.Field]
    converters: Mapping[int, tuple[list[Callable[..., Any]], Any]]

    @classmethod
    def compile(cls, queryset: QuerySet[Any], slots: Slots) -> Statement:
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        fields = dict(slots.fields)
        names = {p.name for p in params if isinstance(p, _Marker)}
        if names != set(fields):
            raise ValueError(f"slots {sorted(set(fields) ^ names)} did not reach the SQL")
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        return cls(sql, tuple(params), fields, compiler.get_converters(columns))

    def rows(self, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run with these slot values; the rows as the queryset's values_list gives them."""
        prepared = {
            name: field.get_db_prep_value(values[name], connection)
            for name, field in self.fields.items()
        }
        params = [prepared[p.name] if isinstance(p, _Marker) else p for p in self.params]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            found = cursor.fetchall()
        if not self.converters:
            return [tuple(row) for row in found]
        out = []
        for row in found:
            row = list(row)
            for position, (converters, expression) in self.converters.items():
                value = row[position]
                for convert in converters:
                    value = convert(value, expression, connection)
                row[position] = value
            out.append(tuple(row))
        return out


class Kept:
    """Statements by key, the `KEPT` most recently used (shared by a process's threads)."""

    def __init__(self, size: int = KEPT) -> None:
        self._statements: Recent[Hashable, Statement] = Recent(size)

    def get(
        self,
        key: Hashable,
        build: Callable[[Slots], QuerySet[Any]],
        still: Callable[[], bool] | None = None,
    ) -> Statement:
        """The statement kept for this key (with the connection's alias and vendor and the
        current time zone added), or the queryset `build(slots)` makes, compiled, and kept
        unless `still()` (asked after the build) says what the key names has changed since
        the key was made. A key of None is never kept."""
        if key is not None:
            key = (connection.alias, connection.vendor, timezone.get_current_timezone_name(), key)
            statement = self._statements.get(key)
            if statement is not None:
                return statement
        slots = Slots()
        statement = Statement.compile(build(slots), slots)
        if key is None or (still is not None and not still()):
            return statement
        self._statements.put(key, statement)
        return statement

    def clear(self) -> None:
        self._statements.clear()

    def __len__(self) -> int:
        return len(self._statements)


# Values a key holds as they are: their SQL parameter is the value itself.
_PLAIN = (str, int, float, bool, type(None), date, datetime, Decimal, UUID)


def key_of(condition: Q) -> Hashable | None:
    """A condition as a key: equal keys for conditions that compile to the same SQL. A model
    instance stands for its primary key, a subquery for its SQL with its parameters, a list
    or set for its values. None for a condition holding anything else (an expression, a
    subquery that can match nothing…), which is then not kept."""

    class Unkeyed(Exception):
        pass

    def value_key(value: Any) -> Hashable:
        if isinstance(value, _PLAIN):
            return (type(value).__name__, value)
        if isinstance(value, models.Model) and value.pk is not None:
            return ("instance", value._meta.label, value.pk)
        if isinstance(value, set | frozenset):
            return ("set", tuple(sorted((value_key(v) for v in value), key=repr)))
        if isinstance(value, list | tuple):
            return ("list", tuple(value_key(v) for v in value))
        if isinstance(value, QuerySet):
            try:
                sql, params = value.query.sql_with_params()
            except EmptyResultSet:
                raise Unkeyed from None
            return ("subquery", sql, tuple(value_key(p) for p in params))
        raise Unkeyed

    def node_key(node: Q) -> Hashable:
        children = []
        for child in node.children:
            if isinstance(child, Q):
                children.append(node_key(child))
            elif isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], str):
                children.append((child[0], value_key(child[1])))
            else:
                raise Unkeyed
        return (node.connector, node.negated, tuple(children))

    try:
        return node_key(condition)
    except Unkeyed:
        return None
