"""`__in` with a long list of integers, sent to PostgreSQL as one array parameter.

Django writes `id IN (%s, %s, …)` with one parameter per value. For the lists the pages pass
(a few thousand review or conversation ids) the parameters cost more than the query: Django
prepares each value, and psycopg parses the statement to number its placeholders, each time
anew since a statement that long is not cached (about 20 ms for 4,000 ids on the 2-core
machine). On PostgreSQL such a list is sent as one array, `id = ANY(%s)`, which means the
same: a null value never matches, and NOT of it is NOT IN. Only integer columns (and keys
to them) take the array: the values are sent as they are, without the column's own database
preparation. Other lists, and other databases, keep Django's form.

On every database, such a list of plain ints is also taken as it is when the condition is
made: Django prepares it value by value (normalised as a model instance would be, then
through the key's and its target's `get_prep_value`), which gives back the same ints, at
about 1.6 µs a value (5 ms for the 3,000 review ids of a team page at a million
conversations).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Func, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

# Lists at least this long are sent as an array.
LONG = 64


class _ArrayOnPostgres:
    """Mixed into Django's `In` lookups (the plain one and the related one)."""

    def _long_ints(self) -> bool:
        """A list of at least LONG plain ints (and nulls) for an integer column."""
        lookup: Any = self
        rhs = lookup.rhs
        if not isinstance(rhs, list | tuple | set | frozenset) or len(rhs) < LONG:
            return False
        column = getattr(lookup.lhs, "output_field", None)
        if column is not None and column.is_relation:
            column = getattr(column, "target_field", None)
        return isinstance(column, IntegerField) and all(type(v) is int or v is None for v in rhs)

    def get_prep_lookup(self) -> Any:
        if self._long_ints():  # what Django's value-by-value preparation gives back
            return list(self.rhs)  # type: ignore[attr-defined]
        return super().get_prep_lookup()  # type: ignore[misc]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        lookup: Any = self
        if lookup.rhs_is_direct_value() and self._long_ints():
            values = [v for v in lookup.rhs if v is not None]
            if len(values) >= LONG:
                lhs, lhs_params = lookup.process_lhs(compiler, connection)
                return f"{lhs} = ANY(%s)", (*lhs_params, sorted(set(values)))
        return lookup.as_sql(compiler, connection)  # type: ignore[no-any-return]


class ArrayIn(_ArrayOnPostgres, In):
    pass


class RelatedArrayIn(_ArrayOnPostgres, RelatedIn):
    pass


def register() -> None:
    """Replace `__in` on every field (called once, when the apps are ready)."""
    Field.register_lookup(ArrayIn)
    ForeignObject.register_lookup(RelatedArrayIn)


class Unindexed(Func):
    """A column's value that no index may serve, on SQLite (`+column`, which the SQLite
    documentation gives for this): for conditions on a column of few values (a review's
    source or status) beside a selective one (its conversation). SQLite keeps one average
    of rows per value in its statistics, which the product samples (`bulk`), so "AutoQA
    reviews" could look as selective as "these 2,000 conversations' reviews" and be read
    whole: a million rows. Other databases see the column itself."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)
