"""Exact medians of the conversations' durations (first response, resolution) over any scope
and period, without reading every conversation of it.

A median is not a sum of sums, so the daily rollups cannot give it; the whole multiset of
values can. `DurationDay` keeps, per UTC day, agent and team, every duration of the day's
conversations as an ascending array of 32-bit integers. A period's median takes the arrays of
its whole days (one read of a few hundred rows for a team's 90 days, where the covering index
held 165,000 entries at a million conversations: 39 ms of the team page on PostgreSQL) and the
raw values of its partial first and last days and of any marked day, and selects the middle
in numpy: the same figure as the middle row, or the mean of the middle two, of the raw rows.

The arrays follow the conversations' marks (reports.rollups.Companion): recomputed with the
conversation rollups' days, so a figure read from them is that of the raw rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet

from supportqa.conversations.models import SHOP_SOURCE, Conversation
from supportqa.reports import rollups
from supportqa.reports.models import DurationDay
from supportqa.reports.periods import Period

KIND = "conversation"  # the marks they follow
# Each duration column of the conversations and the array that holds it.
COLUMNS = {"first_response_seconds": "first_response", "resolution_seconds": "resolution"}
VALUE = np.dtype("<i4")  # the columns are 32-bit integers
# SQLite stores a larger integer in them all the same: such a duration (over 68 years) is
# kept as this, which leaves every median below it as it is.
LONGEST = np.iinfo(VALUE).max


def _population() -> QuerySet[Conversation]:
    """The conversations whose durations the panels summarise (mystery shops are not
    customers' conversations)."""
    return Conversation.objects.exclude(source=SHOP_SOURCE)


def _values(values: Any) -> np.ndarray:
    """Durations as the arrays hold them (past LONGEST, LONGEST)."""
    return np.minimum(np.asarray(values, dtype=np.int64), LONGEST).astype(VALUE)


def _pack(values: list[int]) -> bytes:
    return np.sort(_values(values)).tobytes()


def _arrays(rows: Any) -> dict[tuple[date, Any, Any], dict[str, list[int]]]:
    """(day, agent, team, first response, resolution) rows as each key's values per column."""
    found: dict[tuple[date, Any, Any], dict[str, list[int]]] = defaultdict(
        lambda: {column: [] for column in COLUMNS.values()}
    )
    for day, agent, team, *values in rows:
        arrays = found[rollups.day_of(day), agent, team]
        for column, value in zip(COLUMNS.values(), values, strict=True):
            if value is not None:
                arrays[column].append(value)
    return found


def _raw_rows(days: list[date] | None) -> Any:
    rows = _population()
    if days is not None:
        rows = rows.filter(rollups.on_days("created_at", days))
    return (
        rows.annotate(utc_day=rollups.UtcDay("created_at"))
        .values_list("utc_day", "agent_id", "team_id", *COLUMNS)
        .order_by()
        .iterator(chunk_size=10_000)
    )


def recompute(days: list[date]) -> None:
    """Replace these days' arrays with the raw rows' (inside `rollups.current`'s
    transaction)."""
    DurationDay.objects.filter(day__in=days).delete()
    DurationDay.objects.bulk_create(
        (
            DurationDay(
                day=day,
                agent_id=agent,
                team_id=team,
                **{column: _pack(values) for column, values in arrays.items()},
            )
            for (day, agent, team), arrays in _arrays(_raw_rows(days)).items()
            if any(arrays.values())
        ),
        batch_size=1000,
    )


def check(marked: set[date]) -> list[str]:
    """Each stored array against the raw rows' (marked days left out): one line per
    difference."""
    stored: dict[tuple[date, Any, Any], dict[str, list[int]]] = {}
    twice = []  # a key has one row; a second would count its values twice
    for row in DurationDay.objects.values_list(
        "day", "agent_id", "team_id", *COLUMNS.values()
    ).iterator(chunk_size=1000):
        key = (row[0], row[1], row[2])
        if key in stored and key[0] not in marked:
            twice.append(f"{DurationDay._meta.db_table} {key[0]} agent={key[1]} team={key[2]}: "
                         "more than one row")  # fmt: skip
        stored[key] = {
            column: np.frombuffer(bytes(value), VALUE).tolist()
            for column, value in zip(COLUMNS.values(), row[3:], strict=True)
        }
    raw = {
        key: {column: np.sort(_values(values)).tolist() for column, values in arrays.items()}
        for key, arrays in _arrays(_raw_rows(None)).items()
        if any(arrays.values())
    }
    return twice + [
        f"{DurationDay._meta.db_table} {key[0]} agent={key[1]} team={key[2]}: stored "
        f"{_counted(stored.get(key))}, raw rows give {_counted(raw.get(key))}"
        for key in sorted(set(stored) | set(raw), key=str)
        if key[0] not in marked and stored.get(key) != raw.get(key)
    ]


def _counted(arrays: dict[str, list[int]] | None) -> str:
    if arrays is None:
        return "no row"
    return ", ".join(f"{len(values)} {column} values" for column, values in arrays.items())


def medians(scope: Q, period: Period, counted: dict[str, int]) -> dict[str, float]:
    """The median of each duration column (`COLUMNS`' keys) over the conversations in `scope`
    (conditions on agent and team) created in the period, where it is not null; `counted`:
    how many such values each has (from the rollups: a column with none is left out).
    Call `rollups.current(period)` first. Two statements besides the marks: the whole days'
    arrays, and the raw values of the partial and marked days (one index range each)."""
    wanted = [field for field, n in counted.items() if n]
    if not wanted:
        return {}
    layout = rollups.Layout.of(period, rollups.marked_days(KIND, period))
    chunks: dict[str, list[np.ndarray]] = {field: [] for field in wanted}
    if layout.first < layout.end:
        days = DurationDay.objects.filter(scope, day__gte=layout.first, day__lt=layout.end)
        if layout.stale:
            days = days.exclude(day__in=layout.stale)
        stored = days.values_list(*(COLUMNS[field] for field in wanted)).order_by()
        for field, blobs in zip(wanted, _by_column(stored, wanted), strict=True):
            chunks[field].append(np.frombuffer(b"".join(blobs), VALUE))
    pieces = [(a, b) for a, b in [*layout.stale_pieces(), *layout.edges] if a < b]
    reads = [
        _population()
        .filter(scope, created_at__gte=start, created_at__lt=stop)
        .values_list(*wanted)
        .order_by()
        for start, stop in pieces
    ]
    if reads:
        rows = reads[0].union(*reads[1:], all=True) if len(reads) > 1 else reads[0]
        for field, values in zip(wanted, _by_column(rows, wanted), strict=True):
            chunks[field].append(_values([v for v in values if v is not None]))
    out = {}
    for field, arrays in chunks.items():
        values = np.concatenate(arrays) if arrays else np.empty(0, VALUE)
        if values.size:
            out[field] = float(np.median(values))
    return out


def _by_column(rows: Any, wanted: list[str]) -> list[tuple[Any, ...]]:
    """Rows of len(wanted) values as one tuple per column (empty ones when there are none)."""
    return list(zip(*rows, strict=True)) or [() for _ in wanted]


rollups.accompany(rollups.Companion(KIND, DurationDay, recompute, check))
