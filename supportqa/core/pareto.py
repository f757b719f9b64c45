"""Pareto analysis: which few causes account for most of the failures.

Items are ordered by count (ties by name, so the order is stable); each carries its share of
the total with a Wilson 95% interval (a share of tagged failures is a proportion like any
other, and a cause seen 3 times out of 12 is not known to be "25%"), and the cumulative share.
The "vital few" are the items up to and including the one where the cumulative share first
reaches the cut-off (80% by convention).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from supportqa.core.intervals import Estimate, wilson

K = TypeVar("K")

VITAL_SHARE = 0.8


@dataclass(frozen=True)
class ParetoRow(Generic[K]):
    key: K
    label: str
    count: int
    share: Estimate  # percent of all counted failures, with its interval
    cumulative: float  # percent, this item and every larger one
    vital: bool  # among the few items that make up VITAL_SHARE of the total


def pareto(items: Iterable[tuple[K, str, int]], cutoff: float = VITAL_SHARE) -> list[ParetoRow[K]]:
    """(key, label, count) → rows largest first; items counted zero times are left out."""
    if not 0 < cutoff <= 1:
        raise ValueError("the cut-off is a share between 0 and 1")
    given = list(items)
    if any(count < 0 for _, _, count in given):
        raise ValueError("counts cannot be negative")
    counted = [(key, label, count) for key, label, count in given if count > 0]
    counted.sort(key=lambda item: (-item[2], item[1]))
    total = sum(count for _, _, count in counted)
    rows: list[ParetoRow[K]] = []
    running = 0
    reached = False
    for key, label, count in counted:
        vital = not reached
        running += count
        reached = reached or running >= cutoff * total
        rows.append(
            ParetoRow(
                key, label, count, wilson(count, total).scaled(100), 100 * running / total, vital
            )
        )
    return rows
