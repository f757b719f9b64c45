"""Writing small files (surveys, people) record by record: each in its own savepoint, so a
record refused (by the rules or by the database) is its row's error and the rest is written;
and the create-or-update-if-changed step every upsert takes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Model

from supportqa.integrations.records import RowError


class Refused(Exception):
    """A record that cannot be written, with the field and the reason (its row's error)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    def as_tuple(self) -> tuple[int, int, int, list[RowError], list[RowError]]:
        return self.created, self.updated, self.unchanged, self.errors, self.warnings


def write_each(records: Iterable[Any], write: Callable[[Any, Tally], str]) -> Tally:
    """`write(record, tally)` returns "created", "updated" or "unchanged" (it may add
    warnings to the tally) or raises Refused."""
    tally = Tally()
    for record in records:
        try:
            with transaction.atomic():
                outcome = write(record, tally)
        except Refused as refused:
            tally.errors.append(RowError(record.line, refused.field, refused.reason))
            continue
        except DatabaseError as exc:
            reason = f"the database refused it: {exc}".splitlines()[0][:300]
            tally.errors.append(RowError(record.line, "-", reason))
            continue
        setattr(tally, outcome, getattr(tally, outcome) + 1)
    return tally


def update_if_changed(instance: Model, values: dict[str, Any]) -> str:
    """Set the values that differ and save: "updated", or "unchanged" without a write."""
    changed = {name: value for name, value in values.items() if getattr(instance, name) != value}
    if not changed:
        return "unchanged"
    for name, value in changed.items():
        setattr(instance, name, value)
    instance.save()
    return "updated"
