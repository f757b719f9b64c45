"""Daily rollups (reports.models): computing them, keeping them current, reading them.

A rollup row holds counts and sums over raw rows that share its keys (a UTC day, an agent, a
team, …). Figures over a period add the rows of the period's whole days and, for the partial
first and last days, the same aggregates over the raw rows themselves, so every figure equals
the one computed from the raw rows alone (tests/test_rollups.py checks it on random data).
The conversations' rollup and AutoQA's also keep their rows per UTC hour: a partial day
that is not marked is read from them for its whole hours, and from the raw rows only for the
partial hours at the period's two ends.

Current without a second write path: database triggers mark the days whose raw rows change
(whoever writes them); before reading a period, `current` recomputes the marked days inside it
(in one transaction that also takes the marks, so two readers never both recompute a day), and
the worker recomputes every marked day within a poll interval of the write, so pages seldom
find one. A day still marked when a page reads it (written since, or left by `current` to a
writer that has not committed) is read from its raw rows, so a page never shows a stale
figure. On PostgreSQL a write waits for rollups only when a transaction that recomputes its
day (or one a multiple of 366 days away, reports.marks.DAY_LOCK) has not ended yet.
"""

from __future__ import annotations

import json
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, models, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from supportqa import configured
from supportqa.conversations import service_levels
from supportqa.conversations.models import (
    SHOP_SOURCE,
    AuthorKind,
    Channel,
    Conversation,
    Message,
    first_reply_against_target,
)
from supportqa.reports.marks import DAY_LOCK
from supportqa.reports.models import (
    ActivityHour,
    AnswerDay,
    ConversationDay,
    ConversationDayByHour,
    ConversationHour,
    DirtyDay,
    RollupStamp,
    SentDay,
)
from supportqa.reports.periods import Period
from supportqa.statements import TEXT, Kept, Slots, key_of
from supportqa.surveys.models import SATISFIED, SurveyResponse, SurveySent, satisfied

# Raise when a rollup's columns or aggregates change: every day is recomputed on next read.
VERSION = 6


class UtcDay(models.Func):
    """The UTC date of a timestamp, computed by the database itself (SQLite keeps timestamps
    as UTC text, so its first ten characters; Django's TruncDate calls Python per row there)."""

    output_field = models.DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 10)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((%(expressions)s) AT TIME ZONE 'UTC')::date"
        )


class UtcHourOfDay(models.Func):
    """The UTC hour of the day (0–23) of a timestamp, computed by the database itself."""

    output_field = models.IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(substr(%(expressions)s, 12, 2) AS INTEGER)"
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(HOUR FROM (%(expressions)s) AT TIME ZONE 'UTC')::integer",
        )


# --- the rollups' definitions -------------------------------------------------------------------


def resolved(prefix: str = "") -> Q:
    """A conversation is resolved when it has a resolution time."""
    return Q(**{f"{prefix}resolution_seconds__isnull": False})


def first_contact() -> Q:
    """Resolved at first contact (PRODUCT.md §5): resolved, never reopened, and no new
    conversation of the same customer and category within SUPPORTQA_FCR_DAYS."""
    window = settings.SUPPORTQA_FCR_DAYS * 86400
    no_repeat = Q(repeat_contact_seconds__isnull=True) | Q(repeat_contact_seconds__gt=window)
    return resolved() & Q(reopen_count=0) & no_repeat


def outcome_counts() -> dict[str, Count]:
    """Aggregates of conversation outcomes: volume, resolved, reopened (of the resolved) and
    resolved at first contact."""
    return {
        "volume": Count("pk"),
        "resolved": Count("pk", filter=resolved()),
        "reopened": Count("pk", filter=resolved() & Q(reopen_count__gt=0)),
        "first_contact": Count("pk", filter=first_contact()),
    }


def _conversation_sums() -> dict[str, Any]:
    within, late = first_reply_against_target()
    counts = outcome_counts()
    del counts["resolved"]  # a key of the rollup: the volume of its resolved rows
    return {
        **counts,
        "first_response_n": Count("first_response_seconds"),
        "first_response_sum": sum_or_zero("first_response_seconds"),
        "resolution_sum": sum_or_zero("resolution_seconds"),
        "first_reply_within": Count("pk", filter=within),
        "first_reply_targeted": Count("pk", filter=within | late),
    }


def _reply_sums() -> dict[str, Any]:
    answered = Q(response__csat__isnull=False)
    return {
        "surveys_sent": Count("pk"),
        "surveys_answered": Count("pk", filter=answered),
        "surveys_satisfied": Count("pk", filter=answered & satisfied("response__")),
    }


def survey_counts() -> dict[str, Any]:
    """CSAT, NPS and CES counts and sums of survey answers."""
    return {
        "csat_n": Count("csat"),
        "csat_top": Count("pk", filter=SATISFIED),
        "nps_n": Count("nps"),
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
        "ces_n": Count("ces"),
        "ces_sum": sum_or_zero("ces"),
        "ces_sq": sum_or_zero(F("ces") * F("ces")),
    }


def _sent_sums() -> dict[str, Any]:
    return {"sent": Count("pk"), "answered": Count("response")}


def sum_or_zero(expression: Any, zero: float = 0) -> Coalesce:
    """A sum that is 0, not null, over no values."""
    return Coalesce(Sum(expression), zero)


def _is(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


@dataclass(frozen=True)
class Part:
    """One source of a rollup's rows: raw rows, the timestamp that puts them on a day, the
    paths from them to the agent and team a scope names, their keys and their sums."""

    raw: Callable[[], QuerySet[Any]]
    moment: str
    paths: dict[str, str]
    keys: Callable[[], dict[str, Any]]
    sums: Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Rollup:
    model: type[models.Model]
    kind: str  # the DirtyDay kind whose marks it follows
    parts: tuple[Part, ...]
    # The same sums per UTC hour (the model's columns and `hour`), or None: partial days are
    # read from the raw rows.
    hourly: type[models.Model] | None = None
    # A rollup of everyone's rows (`everyones`): the sums of this one's rows over the agents
    # and teams, computed from its hourly rows.
    over: Rollup | None = None

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def columns(self) -> list[str]:
        """The summed columns (all but the id, the day and the keys)."""
        keys = {"id", "day", *self.parts[0].keys()}
        return [f.column for f in self.model._meta.concrete_fields if f.column not in keys]


CONVERSATIONS = Rollup(
    ConversationDay,
    "conversation",
    (
        Part(
            lambda: Conversation.objects.exclude(source=SHOP_SOURCE),
            "created_at",
            {},
            lambda: {
                "agent_id": F("agent_id"),
                "team_id": F("team_id"),
                "channel": F("channel"),
                "category_id": F("category_id"),
                "source": F("source"),
                "resolved": _is(resolved()),
            },
            _conversation_sums,
        ),
        Part(
            lambda: SurveySent.objects.all(),
            "conversation__created_at",
            {
                "agent": "conversation__agent",
                "team": "conversation__team",
                "channel": "conversation__channel",
            },
            lambda: {
                "agent_id": F("conversation__agent_id"),
                "team_id": F("conversation__team_id"),
                "channel": F("conversation__channel"),
                "category_id": F("conversation__category_id"),
                "source": F("conversation__source"),
                "resolved": _is(resolved("conversation__")),
            },
            _reply_sums,
        ),
    ),
    hourly=ConversationDayByHour,
)
PEOPLE = lambda: {"agent_id": F("agent_id"), "team_id": F("team_id")}  # noqa: E731
ANSWERS = Rollup(
    AnswerDay,
    "answer",
    (Part(lambda: SurveyResponse.objects.all(), "answered_at", {}, PEOPLE, survey_counts),),
)
SENT = Rollup(
    SentDay, "sent", (Part(lambda: SurveySent.objects.all(), "sent_at", {}, PEOPLE, _sent_sums),)
)


# The staffing plan's hours: new conversations, and the agents who sent messages, per UTC hour.
HOURLY = Rollup(
    ConversationHour,
    "conversation",
    (
        Part(
            lambda: Conversation.objects.exclude(source=SHOP_SOURCE),
            "created_at",
            {},
            lambda: {
                "hour": UtcHourOfDay("created_at"),
                "agent_id": F("agent_id"),
                "team_id": F("team_id"),
                "channel": F("channel"),
            },
            lambda: {"volume": Count("pk")},
        ),
    ),
)
ACTIVITY = Rollup(
    ActivityHour,
    "activity",
    (
        Part(
            lambda: Message.objects.filter(author_kind=AuthorKind.AGENT).exclude(
                conversation__source=SHOP_SOURCE
            ),
            "sent_at",
            {
                "agent": "conversation__agent",
                "team": "conversation__team",
                "channel": "conversation__channel",
            },
            lambda: {
                "hour": UtcHourOfDay("sent_at"),
                "author_id": F("author_id"),
                "agent_id": F("conversation__agent_id"),
                "team_id": F("conversation__team_id"),
                "channel": F("conversation__channel"),
            },
            lambda: {"messages": Count("pk")},
        ),
    ),
)


ROLLUPS: list[Rollup] = [CONVERSATIONS, ANSWERS, SENT, HOURLY, ACTIVITY]


def register(*rollups: Rollup) -> None:
    """A higher app's rollups (AutoQA's), kept current, rebuilt and checked with these. A
    rollup of everyone's rows comes after the one it adds up (recomputed from its rows)."""
    for rollup in rollups:
        if rollup.over is not None and rollup.over not in ROLLUPS:
            raise ValueError(f"{rollup.table} adds up {rollup.over.table}: register that first")
        if rollup not in ROLLUPS:
            ROLLUPS.append(rollup)
            if rollup.over is not None:
                EVERYONES[rollup.over.table] = rollup


# The rollup of everyone's rows of a rollup, by the rollup's table: read in its place when the
# scope admits everyone and the read groups by none of the keys it drops.
EVERYONES: dict[str, Rollup] = {}


def everyones(rollup: Rollup, model: type[models.Model], hourly: type[models.Model]) -> Rollup:
    """A rollup of `rollup`'s sums added up over the agents and teams (`model` and `hourly`
    hold its columns but those), for the org-wide pages: their reads sum a row per key and
    day instead of one per agent, key and day. Its days are recomputed with `rollup`'s, from
    its hourly rows (so after them); `check` compares it with the raw rows, as every rollup;
    a partial hour or a marked day is read from the raw rows."""
    if rollup.hourly is None:
        raise ValueError(f"{rollup.table} has no hourly rows to add up")
    kept = {field.column for field in model._meta.concrete_fields}

    def narrowed(part: Part) -> Part:
        return replace(
            part, paths={}, keys=lambda: {k: v for k, v in part.keys().items() if k in kept}
        )

    return Rollup(model, rollup.kind, tuple(map(narrowed, rollup.parts)), hourly, over=rollup)


@dataclass(frozen=True)
class Companion:
    """Derived rows that are not sums (reports.durations: every duration of a day, for
    medians), kept by the marks of a kind of rollup: recomputed with its days, deleted by a
    rebuild, compared with the raw rows by `check` (its problems, leaving out marked days)."""

    kind: str
    model: type[models.Model]
    recompute: Callable[[list[date]], None]
    check: Callable[[set[date]], list[str]]


COMPANIONS: list[Companion] = []


def accompany(companion: Companion) -> None:
    if all(c.model is not companion.model for c in COMPANIONS):
        COMPANIONS.append(companion)


# --- keeping them current -----------------------------------------------------------------------


def definition() -> str:
    """What the rollups' figures depend on besides the raw rows."""
    rules = service_levels.current()
    targets = [rules.reply_targets(channel)[0] for channel in Channel.values]
    return json.dumps([VERSION, settings.SUPPORTQA_FCR_DAYS, targets])


def _stamp_current() -> None:
    """Under other settings than the stored stamp's, every day with raw rows is marked."""
    wanted = definition()
    _verified.definition = wanted
    stored = configured.kept(
        "rollup-definition",
        lambda: RollupStamp.objects.values_list("definition", flat=True).first(),
    )
    if stored == wanted:
        return
    with transaction.atomic():
        stamp = RollupStamp.objects.select_for_update().first()
        if stamp is not None and stamp.definition == wanted:
            return
        mark_everything()
        RollupStamp.objects.all().delete()
        RollupStamp.objects.create(definition=wanted)


def mark_everything() -> None:
    """Mark every day that has raw rows (a rebuild, or new settings)."""
    for rollup in ROLLUPS:
        if rollup.over is not None:  # the same raw rows as the rollup it adds up
            continue
        days: set[date] = set()
        for part in rollup.parts:
            days.update(
                part.raw()
                .annotate(rollup_day=UtcDay(part.moment))
                .values_list("rollup_day", flat=True)
                .distinct()
                .order_by()
            )
        existing = set(DirtyDay.objects.filter(kind=rollup.kind).values_list("day", flat=True))
        DirtyDay.objects.bulk_create(
            [DirtyDay(kind=rollup.kind, day=day) for day in days - existing if day is not None]
        )


def current(
    period: Period | None = None, kinds: Sequence[str] = (), *, day_by_day: bool = False
) -> int:
    """Recompute the marked days (the period's whole days, or all of them) of the rollups
    of these kinds (all when none given); returns how many (kind, day) pairs. The marks are
    taken (deleted) in the same transaction as the recomputation, so no day is computed
    twice at once: on PostgreSQL a concurrent reader leaves the days taken, and those a
    writer has not committed yet, marked (read from raw rows), and a writer of a taken day
    waits until this transaction ends; on SQLite the one writer at a time serialises them
    all. A write that lands after the marks are taken marks its day again.

    `day_by_day`: a transaction per day, for the worker and the command line, which take
    every marked day. At a million conversations a day of AutoQA's rollups takes seconds on
    SQLite, and one transaction for all of them held the write lock past the other writers'
    20 s timeout (an AutoQA worker's claim failed with "database is locked"). Page views
    take their period's days in one transaction, so their statement count stays fixed.
    With nothing marked, no transaction is opened (a read of the marks only)."""
    _stamp_current()
    first, last = None, None
    if period is not None:
        first, end = whole_days(period)
        if first >= end:
            return 0
        last = end - timedelta(days=1)
    where, params = _marks_where(first, last, kinds)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT day FROM {DirtyDay._meta.db_table} WHERE {where} ORDER BY day",
            params,
        )
        marked = [day_of(day) for (day,) in cursor.fetchall()]
    if not marked:
        # Nothing to take: no transaction. On SQLite, taking the marks takes the one write
        # lock even when there are none, and page views queued behind the writers for it.
        return 0
    spans: list[tuple[date | None, date | None]] = (
        [(day, day) for day in marked] if day_by_day else [(first, last)]
    )
    done = 0
    for span_first, span_last in spans:
        with transaction.atomic():
            marks = _take_marks(span_first, span_last, kinds)
            for rollup in ROLLUPS:
                if marks.get(rollup.kind):
                    _recompute(rollup, marks[rollup.kind])
            for companion in COMPANIONS:
                if marks.get(companion.kind):
                    companion.recompute(marks[companion.kind])
        done += sum(len(taken) for taken in marks.values())
    return done


def current_or_told(tell: Callable[[str], Any]) -> int:
    """`current` day by day, for a command: the marked days are a cache that page views and
    the worker also bring up to date, so a database failure here is told (by `tell`) and
    counts no day, not raised."""
    try:
        return current(day_by_day=True)
    except DatabaseError as exc:
        tell(f"rollups left for a later recomputation (the worker or a page view): {exc}")
        return 0


def side_by_side() -> bool:
    """Whether several processes can recompute the marked days at once (`current` day by
    day): on PostgreSQL each takes only the days whose lock it gets, so processes walking the
    same list take turns through it; SQLite has one writer at a time."""
    return connection.vendor == "postgresql"


def _marks_where(
    first: date | None, last: date | None, kinds: Sequence[str]
) -> tuple[str, list[str]]:
    conditions, params = ["1 = 1"], []
    if first is not None and last is not None:
        conditions.append("day >= %s AND day <= %s")
        params.extend([first.isoformat(), last.isoformat()])
    if kinds:
        conditions.append(f"kind IN ({', '.join(['%s'] * len(kinds))})")
        params.extend(kinds)
    return " AND ".join(conditions), params


def day_of(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _take_marks(
    first: date | None, last: date | None, kinds: Sequence[str]
) -> dict[str, list[date]]:
    """Delete the marks and return them by kind. On PostgreSQL only the marks whose day lock
    (reports.marks.DAY_LOCK) is free: a day a writer has not committed yet stays marked, read
    from its raw rows, for a later recomputation. (SQLite has one writer at a time.) This
    relies on READ COMMITTED, Django's default, which SupportQA never changes: the
    recomputation's reads, statements after this one, see every writer that released a lock
    before it was taken. Under REPEATABLE READ they would see the transaction's first
    snapshot and could miss a writer that committed between it and this statement."""
    where, params = _marks_where(first, last, kinds)
    table = DirtyDay._meta.db_table
    sql = f"DELETE FROM {table} WHERE {where} RETURNING kind, day"
    if connection.vendor == "postgresql":
        sql = (
            f"WITH marked AS MATERIALIZED (SELECT id, kind, day FROM {table} WHERE {where}), "
            f"free AS MATERIALIZED (SELECT id FROM marked WHERE "
            f"pg_try_advisory_xact_lock({DAY_LOCK})) "
            f"DELETE FROM {table} AS m USING free WHERE m.id = free.id RETURNING m.kind, m.day"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    marks: dict[str, list[date]] = defaultdict(list)
    for kind, day in found:
        marks[kind].append(day_of(day))
    return marks


def _recompute(rollup: Rollup, days: list[date]) -> None:
    """Replace the rollup rows of these days with fresh ones, computed by the database: from
    the raw rows, or with hourly rows, those from the raw rows (for everyone's rows, from the
    added-up rollup's hours) and the days' from them."""
    rollup.model.objects.filter(day__in=days).delete()
    target, hour = rollup.model, ()  # type: tuple[type[models.Model], tuple[str, ...]]
    if rollup.hourly is not None:
        rollup.hourly.objects.filter(day__in=days).delete()
        target, hour = rollup.hourly, ("hour",)
    keys = [*rollup.parts[0].keys()]
    if rollup.over is not None:
        assert rollup.hourly is not None and rollup.over.hourly is not None
        _add_up(rollup.hourly, rollup.over.hourly, ["day", "hour", *keys], rollup.columns(), days)
    else:
        for part in rollup.parts:
            sums = part.sums()
            rows = part.raw().filter(on_days(part.moment, days))
            by = ["day", *hour, *part.keys()]
            sql, params = _grouped(rows, part, by, sums).query.sql_with_params()
            others = [c for c in rollup.columns() if c not in sums]
            zeros = ", 0" * len(others)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {target._meta.db_table} ({', '.join([*by, *sums, *others])}) "
                    f"SELECT grouped.*{zeros} FROM ({sql}) AS grouped",
                    params,
                )
    if rollup.hourly is not None:
        _add_up(rollup.model, rollup.hourly, ["day", *keys], rollup.columns(), days)


def _add_up(
    target: type[models.Model],
    source: type[models.Model],
    by: list[str],
    columns: list[str],
    days: list[date],
) -> None:
    """Insert into `target` the days' rows of `source` added up by `by`."""
    rows = (
        source.objects.filter(day__in=days)
        .values(*by)
        .annotate(**{f"s_{column}": Sum(column) for column in columns})
        .order_by()
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {target._meta.db_table} ({', '.join([*by, *columns])}) {sql}", params
        )


def _grouped(
    rows: QuerySet[Any], part: Part, by: Sequence[str], sums: dict[str, Any]
) -> QuerySet[Any]:
    """The part's sums over raw rows grouped by `by` (rollup column names), selected as
    k_<key> in the order of `by`, then the sums in their order."""
    keys = {"day": UtcDay(part.moment), "hour": UtcHourOfDay(part.moment), **part.keys()}
    return rows.values(**{f"k_{name}": keys[name] for name in by}).annotate(**sums).order_by()


def on_days(moment: str, days: Iterable[date]) -> Q:
    """Rows whose timestamp falls on one of these UTC days: one range per run of days."""
    condition = Q(pk__in=[])
    for start, end in _runs(sorted(days)):
        condition |= Q(**{f"{moment}__gte": _midnight(start), f"{moment}__lt": _midnight(end)})
    return condition


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as [start, end) ranges."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


# --- reading them -------------------------------------------------------------------------------


def renamed(scope: Q, paths: dict[str, str]) -> Q:
    """The scope's conditions on `agent`, `team` (and `channel`), reached from other rows by `paths`
    (e.g. agent → review__reviewee)."""
    if not paths:
        return scope
    out = Q()
    out.connector, out.negated = scope.connector, scope.negated
    out.children = [
        renamed(child, paths) if isinstance(child, Q) else (_path(child[0], paths), child[1])
        for child in scope.children
    ]
    return out


def _path(lookup: str, paths: dict[str, str]) -> str:
    head, separator, rest = lookup.partition("__")
    base = head.removesuffix("_id")
    if base in paths:
        head = paths[base] + head[len(base) :]
    return head + separator + rest


def grouped(
    rollup: Rollup, scope: Q, period: Period, by: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """The rollup's sums over the period for the rows in `scope` (conditions on agent and
    team), grouped by `by` (rollup columns, "day" among them or not: without it the database
    adds the days up, and a page reads one row per key instead of one per key and day):
    whole days from the rollup, partial days from the raw rows, or with hourly rows, their
    whole hours from those; a marked day from its raw rows. Each key's row is the sum of the
    statement's rows of that key (stored days, hours and raw pieces). Call `current(period)`
    first (once for several reads)."""
    if not by:
        raise ValueError("rollups are read grouped by at least one column")
    if rollup.over is not None and scope:
        raise ValueError(f"{rollup.table} holds everyone's rows: read {rollup.over.table}")
    everyone = EVERYONES.get(rollup.table)
    if everyone is not None and not scope and set(by) <= {"day", *everyone.parts[0].keys()}:
        rollup = everyone
    columns = rollup.columns()
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(columns, 0))
    marked = marked_days(rollup.kind, period)
    layout = Layout.of(period, marked)
    # What is read, as slot values and the shape of the statement that reads them: the
    # stored days (but the stale ones), the whole hours of partial days, raw pieces.
    values: dict[str, Any] = {}
    shape: list[Any] = []
    pieces = layout.stale_pieces()  # [start, stop) of raw rows to read
    if layout.first < layout.end:
        values.update(first=layout.first, end=layout.end)
        values.update({f"stale{i}": day for i, day in enumerate(layout.stale)})
        shape.append(("days", len(layout.stale)))
    hourly = rollup.hourly
    for start, stop in layout.edges:
        day = start.astimezone(UTC).date()
        whole = _whole_hours(start, stop) if hourly is not None else None
        if whole is None or day in marked:
            pieces.append((start, stop))
            continue
        low, high = whole
        i = len(shape)
        values.update({f"{i}day": day, f"{i}low": _hour(low, day), f"{i}high": _hour(high, day)})
        shape.append("hours")
        pieces += [(start, low), (high, stop)]
    pieces = [(start, stop) for start, stop in pieces if start < stop]
    for i, (start, stop) in enumerate(pieces):
        values.update({f"start{i}": start, f"stop{i}": stop})
    if not shape and not pieces:
        return {}
    shape.append(("pieces", len(pieces)))
    # The raw rows' SQL also depends on the settings the rollups depend on (reply targets…):
    # those `current` found, and a statement built under others (saved in between) is not
    # kept under them.
    depends = (_verified.definition or definition()) if pieces else None
    scoped = key_of(scope)
    key = None if scoped is None else (rollup.model._meta.label, tuple(by), scoped, *shape, depends)
    try:
        statement = _STATEMENTS.get(
            key,
            lambda slot: _read(rollup, scope, by, shape, slot),
            still=lambda: depends is None or definition() == depends,
        )
    except EmptyResultSet:  # a scope that admits nothing (a lead of no team yet)
        return {}
    for row in statement.rows(values):
        _add(out[row[: len(by)]], columns, row[len(by) :])
    return dict(out)


# Rollup reads compiled once per key (supportqa.statements): a dashboard's reads cost Django
# several times their SQL to build and compile.
_STATEMENTS = Kept()
# `marked_days`'s statement: one, kept under each time zone people's pages switch to (a kept
# statement's key names the zone, though this one's SQL does not depend on it).
_MARKED = Kept(size=32)


class _Verified(threading.local):
    """What the thread's last `current` found in force (`definition`), forgotten when a
    request starts (`forget`): `grouped` is read after `current`, in the same request."""

    definition: str | None = None


_verified = _Verified()


def forget(**_: Any) -> None:
    _verified.definition = None


def _read(
    rollup: Rollup, scope: Q, by: Sequence[str], shape: list[Any], slot: Slots
) -> QuerySet[Any]:
    """The statement of a `grouped` read of this shape, its values in slots: the stored
    rows' sums, and each part's sums over the raw rows of each piece (one index range per
    piece: an OR of two ranges would read the whole scope), its other columns zero, all in
    one UNION."""
    columns = rollup.columns()
    stored: list[QuerySet[Any]] = []
    pieces = 0
    for i, member in enumerate(shape):
        if member == "hours":
            assert rollup.hourly is not None
            hour = rollup.hourly._meta.get_field("hour")
            stored.append(
                rollup.hourly.objects.filter(
                    scope,
                    day=slot(f"{i}day", rollup.hourly._meta.get_field("day")),
                    hour__gte=slot(f"{i}low", hour),
                    hour__lt=slot(f"{i}high", hour),
                )
            )
        elif member[0] == "days":
            day = rollup.model._meta.get_field("day")
            days = rollup.model.objects.filter(
                scope, day__gte=slot("first", day), day__lt=slot("end", day)
            )
            if member[1]:
                stale = [slot(f"stale{j}", day) for j in range(member[1])]
                days = days.exclude(day__in=stale)
            stored.append(days)
        else:
            pieces = member[1]
    totals = [Sum(c) for c in columns]
    queries = [q.values_list(*by).annotate(*totals).order_by() for q in stored]
    for part in rollup.parts if pieces else ():
        sums = part.sums()
        zeros = {f"zero_{c}": Value(0) for c in columns if c not in sums}
        names = [*(f"k_{name}" for name in by), *(c if c in sums else f"zero_{c}" for c in columns)]
        # Built once and narrowed per piece (a condition on no aggregate goes to WHERE).
        raw = part.raw().filter(renamed(scope, part.paths))
        grouped_raw = _grouped(raw, part, by, sums).annotate(**zeros).values_list(*names)
        queries += [
            grouped_raw.filter(
                _within(
                    part,
                    slot(f"start{i}", models.DateTimeField()),
                    slot(f"stop{i}", models.DateTimeField()),
                )
            )
            for i in range(pieces)
        ]
    return queries[0].union(*queries[1:], all=True)


def _by_utc_day(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The spans cut at UTC midnights, empty ones left out."""
    out = []
    for start, stop in spans:
        while start < stop:
            midnight = _midnight(start.astimezone(UTC).date() + timedelta(days=1))
            out.append((start, min(stop, midnight)))
            start = midnight
    return out


def _whole_hours(start: datetime, stop: datetime) -> tuple[datetime, datetime] | None:
    """[low, high): the whole UTC hours inside [start, stop), or None if there are none."""
    high = stop.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    low = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if low < start:
        low += timedelta(hours=1)
    return (low, high) if low < high else None


def _hour(moment: datetime, day: date) -> int:
    """The hour of `day` that starts at `moment` (24: the next midnight)."""
    return (moment - _midnight(day)) // timedelta(hours=1)


def _within(part: Part, start: Any, stop: Any) -> Q:
    """The part's raw rows whose moment lies in [start, stop). On SQLite a moment reached
    through the conversation is also written as a condition on the conversation ids (a
    subquery on its creation index): its planner otherwise starts from the reviews' source
    index and reads every AutoQA review (the AutoQA page's partial days took 100 ms each at
    100,000 conversations, and under 1 ms this way). PostgreSQL plans the join well by
    itself and was 5-10% slower with the extra condition."""
    within = Q(**{f"{part.moment}__gte": start, f"{part.moment}__lt": stop})
    through, _, field = part.moment.rpartition("__")
    if through.endswith("conversation") and connection.vendor == "sqlite":
        created = {f"{field}__gte": start, f"{field}__lt": stop}
        within &= Q(**{f"{through}_id__in": Conversation.objects.filter(**created).values("pk")})
    return within


def total(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """These rows (of `grouped`) added up, column by column."""
    out: dict[str, Any] = defaultdict(int)
    for row in rows:
        for column, value in row.items():
            out[column] += value
    return out


def by_key(rows: dict[tuple[Any, ...], dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Rows of `grouped` added up per their first key (an agent, a team, a criterion…);
    a key without rows reads as zeros."""
    per_key: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for key, row in rows.items():
        per_key[key[0]].append(row)
    return defaultdict(lambda: defaultdict(int), {k: total(v) for k, v in per_key.items()})


def _add(into: dict[str, int], columns: Sequence[str], values: Sequence[Any]) -> None:
    for column, value in zip(columns, values, strict=True):
        into[column] += value or 0


def whole_days(period: Period) -> tuple[date, date]:
    """[first, end): the UTC days lying wholly inside the period."""
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    first = start.date() if start.time() == time(0) else start.date() + timedelta(days=1)
    return first, end.date()


def marked_days(kind: str, period: Period) -> set[date]:
    """The days of the period marked for this kind of rollup: their stored rows may be stale
    (written to since `current`, or held by a writer `current` had to leave it to), so
    their raw rows are read instead. (Asked apart: as a condition inside the reads,
    PostgreSQL started parallel workers for the raw read it was about to skip, 7-11 ms a
    statement at 1M; compiled once per process, as every `grouped` read asks.)"""
    day = DirtyDay._meta.get_field("day")
    statement = _MARKED.get(
        "marked days",
        lambda slot: DirtyDay.objects.filter(
            kind=slot("kind", TEXT), day__gte=slot("first", day), day__lte=slot("last", day)
        ).values_list("day"),
    )
    values = {
        "kind": kind,
        "first": period.start.astimezone(UTC).date(),
        "last": (period.end - timedelta(microseconds=1)).astimezone(UTC).date(),
    }
    return {found for (found,) in statement.rows(values)}


@dataclass(frozen=True)
class Layout:
    """Where a period's rows are read from: its whole UTC days [first, end) from the stored
    rows but for the marked (`stale`) ones, which are read raw; and its partial first and
    last days (`edges`, [start, stop) cut at UTC midnights), read raw or from finer rows."""

    first: date
    end: date
    stale: list[date]
    edges: list[tuple[datetime, datetime]]

    @classmethod
    def of(cls, period: Period, marked: set[date]) -> Layout:
        first, end = whole_days(period)
        if first >= end:
            return cls(first, first, [], _by_utc_day([(period.start, period.end)]))
        edges = [(period.start, _midnight(first)), (_midnight(end), period.end)]
        stale = sorted(day for day in marked if first <= day < end)
        return cls(first, end, stale, _by_utc_day(edges))

    def stale_pieces(self) -> list[tuple[datetime, datetime]]:
        """The marked whole days as [start, stop) runs of raw rows."""
        return [(_midnight(a), _midnight(b)) for a, b in _runs(self.stale)]


# --- rebuilding and checking --------------------------------------------------------------------


def rebuild() -> int:
    """Recompute every rollup from the raw rows; returns the days computed. On PostgreSQL a
    day a writer holds meanwhile is left marked, read from its raw rows until the worker or
    `rollups refresh` computes it."""
    with transaction.atomic():
        for rollup in ROLLUPS:
            rollup.model.objects.all().delete()
            if rollup.hourly is not None:
                rollup.hourly.objects.all().delete()
        for companion in COMPANIONS:
            companion.model.objects.all().delete()
        RollupStamp.objects.all().delete()
        _stamp_current()
        return current()


def check() -> list[str]:
    """Each stored rollup row (daily and hourly) against its raw rows: one line per
    difference. Marked days are left out (known to be stale, they are recomputed before
    anyone reads them), and under new settings every day is marked first. Float sums match
    to 1e-9: a day's are added up from its hours."""
    _stamp_current()
    marked = set(DirtyDay.objects.values_list("kind", "day"))
    problems = []
    for rollup in ROLLUPS:
        keys = [*rollup.parts[0].keys()]
        columns = rollup.columns()
        tables = [(rollup.model, ("day", *keys))]
        if rollup.hourly is not None:
            tables.append((rollup.hourly, ("day", "hour", *keys)))
        for model, by in tables:
            stored: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
            rows = model.objects.values_list(*by).annotate(*(Sum(c) for c in columns))
            for row in rows.order_by():
                _add_nonzero(stored[row[: len(by)]], columns, row[len(by) :])
            raw: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
            for part in rollup.parts:
                sums = part.sums()
                grouped_rows = _grouped(part.raw(), part, by, sums)
                for row in grouped_rows.values_list(*[f"k_{name}" for name in by], *sums):
                    _add_nonzero(raw[row[: len(by)]], list(sums), row[len(by) :])
            for key in sorted(set(stored) | set(raw), key=str):
                if (rollup.kind, key[0]) in marked or _same(stored.get(key), raw.get(key)):
                    continue
                problems.append(
                    f"{model._meta.db_table} {key[0]} "
                    f"{dict(zip(by[1:], key[1:], strict=True))}: "
                    f"stored {stored.get(key, {})}, raw rows give {raw.get(key, {})}"
                )
    for companion in COMPANIONS:
        problems += companion.check({day for kind, day in marked if kind == companion.kind})
    return problems


def _same(stored: dict[str, Any] | None, raw: dict[str, Any] | None) -> bool:
    """Counts and integer sums equal, float sums to 1e-9."""
    stored, raw = stored or {}, raw or {}
    return set(stored) == set(raw) and all(
        math.isclose(stored[c], raw[c], rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(stored[c], float) or isinstance(raw[c], float)
        else stored[c] == raw[c]
        for c in stored
    )


def _add_nonzero(into: dict[str, int], columns: Sequence[str], values: Sequence[Any]) -> None:
    for column, value in zip(columns, values, strict=True):
        if value:
            into[column] = into.get(column, 0) + value
