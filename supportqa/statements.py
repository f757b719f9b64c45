"""Reads compiled once and run many times: a queryset built with `Slot`s where its values
go is compiled to SQL once, kept by a key naming everything else the SQL depends on, and run
with each call's values in its slots.

Building and compiling a rollup read (a UNION of up to a dozen grouped SELECTs) costs Django
10-15 ms on this machine, several times the statement's own time, and a dashboard makes up to
eight of them; the slots' values (days, hours, moments) are all that changes between two views
of a page. The key is the caller's to make complete: the SQL of a key must never change.

Model reads (`Kept.read`, `Kept.first`, the pages' `READS`) are kept the same way, with the
compiler Django made for them: a run hands it, with the run's parameters, to Django's own
iterables, so select_related objects, prefetches and values come out as the queryset gives
them. Building and compiling a conversation page's read of its own review cost about 0.7 ms,
running it kept about 0.1 ms (SQLite, demo).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.core.recent import Recent

KEPT = 512  # statements kept per process, the least recently used dropped first

# Slot fields: a row id, a code or other text (a slot's field prepares its value for the SQL).
ID = models.BigIntegerField()
TEXT = models.TextField()


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


def _reached(params: Sequence[Any], slots: Slots) -> dict[str, models.Field]:
    """The slots' fields, once every slot is checked to be in the compiled parameters."""
    fields = dict(slots.fields)
    names = {p.name for p in params if isinstance(p, _Marker)}
    if names != set(fields):
        raise ValueError(f"slots {sorted(set(fields) ^ names)} did not reach the SQL")
    return fields


def _bound(
    params: Sequence[Any], fields: Mapping[str, models.Field], values: Mapping[str, Any], on: Any
) -> list[Any]:
    """The compiled parameters with each slot's value in its place, prepared by its field
    for the connection `on`."""
    prepared = {name: field.get_db_prep_value(values[name], on) for name, field in fields.items()}
    return [prepared[p.name] if isinstance(p, _Marker) else p for p in params]


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
        fields = _reached(params, slots)
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        return cls(sql, tuple(params), fields, compiler.get_converters(columns))

    def rows(self, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run with these slot values; the rows as the queryset's values_list gives them."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, _bound(self.params, self.fields, values, connection))
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


class _Bound:
    """A compiled query standing in for its queryset's: its compiler is the one kept, with this
    run's parameters (every other attribute is the query's)."""

    __slots__ = ("_query", "_compiler")

    def __init__(self, query: Any, compiler: Any) -> None:
        self._query = query
        self._compiler = compiler

    def get_compiler(
        self, using: Any = None, connection: Any = None, elide_empty: bool = True
    ) -> Any:
        return self._compiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)


@dataclass(frozen=True)
class Read:
    """A queryset compiled once: run with each call's slot values, it gives what iterating
    the queryset gives (model instances with their select_related objects, values, ...),
    through Django's own iterables, which read the kept compiler's columns and joins."""

    queryset: QuerySet[Any]
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    fields: Mapping[str, models.Field]

    @classmethod
    def compile(cls, queryset: QuerySet[Any], slots: Slots) -> Read:
        """Refuses a related manager's queryset: every run would get the objects it was
        built from. (Prefetch objects are shared by the runs, as by a queryset's clones.)"""
        if queryset._known_related_objects:
            raise ValueError("a read is built from a model's manager, not a related one")
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a condition that matches nothing whatever the slots hold
            return cls(queryset, None, "", (), dict(slots.fields))
        fields = _reached(params, slots)
        compiler.connection = None  # each run's is its thread's (this one may be closed)
        return cls(queryset, compiler, sql, tuple(params), fields)

    def run(self, values: Mapping[str, Any]) -> list[Any]:
        if set(values) != set(self.fields):
            raise ValueError(f"slots {sorted(set(values) ^ set(self.fields))} given or missing")
        if self.compiler is None:
            return []
        db = self.compiler.using
        on = connections[db]  # this thread's
        for name in self.fields:
            if values[name] is None:  # `= NULL` matches nothing: a None belongs in the key
                raise ValueError(f"slot {name} is None")
        params = tuple(_bound(self.params, self.fields, values, on))
        compiler = copy.copy(self.compiler)
        compiler.connection = on
        sql = self.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        kept = self.queryset
        run = kept.__class__(
            model=kept.model, query=_Bound(kept.query, compiler), using=kept._db, hints=kept._hints
        )
        run._prefetch_related_lookups = kept._prefetch_related_lookups
        run._known_related_objects = kept._known_related_objects
        run._iterable_class = kept._iterable_class
        run._fields = kept._fields
        return list(run)


def _compiled(kind: Any, build: Callable[[Slots], QuerySet[Any]]) -> Any:
    """`kind` (Statement or Read) compiled from the queryset `build(slots)` makes."""
    slots = Slots()
    return kind.compile(build(slots), slots)


def _full(key: Hashable) -> Hashable:
    """A key with what every statement's SQL also depends on: the connection's alias and
    vendor, and the current time zone."""
    return (connection.alias, connection.vendor, timezone.get_current_timezone_name(), key)


class Kept:
    """Statements by key, the `KEPT` most recently used (shared by a process's threads)."""

    def __init__(self, size: int = KEPT) -> None:
        self._statements: Recent[Hashable, Statement | Read] = Recent(size)

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
        statement = self._kept(key, lambda: _compiled(Statement, build), still)
        assert isinstance(statement, Statement), f"{key!r} names a read, not a statement"
        return statement

    def read(
        self, key: Hashable, build: Callable[[Slots], QuerySet[Any]], /, **values: Any
    ) -> list[Any]:
        """What iterating the queryset `build(slots)` gives, run with these slot values:
        compiled once per key (with the connection's alias and vendor and the current time
        zone added; the key names everything else its SQL depends on). A key of None is
        never kept: the read is built and compiled each time."""
        read = self._kept(key, lambda: _compiled(Read, build))
        assert isinstance(read, Read), f"{key!r} names a statement, not a read"
        return read.run(values)

    def _kept(
        self,
        key: Hashable,
        make: Callable[[], Statement | Read],
        still: Callable[[], bool] | None = None,
    ) -> Statement | Read:
        """What is kept for this key (with `_full`'s parts added), else what `make()` makes,
        kept unless the key is None or `still()`, asked after making it, says no."""
        if key is None:
            return make()
        full = _full(key)
        found = self._statements.get(full)
        if found is None:
            found = make()
            if still is None or still():
                self._statements.put(full, found)
        return found

    def first(
        self, key: Hashable, build: Callable[[Slots], QuerySet[Any]], /, **values: Any
    ) -> Any:
        """What the queryset's `first()` gives (by its own order, else by primary key)."""

        def one(slots: Slots) -> QuerySet[Any]:
            queryset = build(slots)
            return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]

        found = self.read(None if key is None else ("first", key), one, **values)
        return found[0] if found else None

    def count(
        self, key: Hashable, build: Callable[[Slots], QuerySet[Any]], /, **values: Any
    ) -> int:
        """What the queryset's `count()` gives, compiled once per key: `SELECT COUNT(*)` of
        the queryset's own SELECT as a subquery, as Django counts a sliced, DISTINCT or
        grouped queryset (a capped count: slice it; select only what the count needs)."""

        def counting() -> Statement:
            slots = Slots()
            try:
                inner = Statement.compile(build(slots), slots)
            except EmptyResultSet:  # matches nothing whatever the slots hold
                return Statement("", (), {}, {})
            sql = f"SELECT COUNT(*) FROM ({inner.sql}) counted"
            return Statement(sql, inner.params, inner.fields, {})

        statement = self._kept(None if key is None else ("count", key), counting)
        assert isinstance(statement, Statement), f"{key!r} names a read, not a count"
        return statement.rows(values)[0][0] if statement.sql else 0

    def clear(self) -> None:
        self._statements.clear()

    def __len__(self) -> int:
        return len(self._statements)


# Model reads of the pages (a conversation, its messages, a person's own review...): a key per
# read and, for reads within a person's scope, per scope; a kept read holds its compiled query
# (about 40 kB with four joins and a scope's subquery).
READS = Kept(size=1024)


def keyed(*parts: Hashable) -> Hashable | None:
    """A key of these parts, or None (never kept) when one of them is None (`key_of` found a
    condition it cannot key)."""
    return None if any(part is None for part in parts) else parts


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
