"""Dashboard figures for a scope and a period: sums from the daily rollups
(`supportqa.reports.rollups`), medians from the days' duration arrays
(`supportqa.reports.durations`), reviews from indexed queries, formulas in `supportqa.core`.

A page costs a fixed number of statements and never loads every conversation; the tests pin
the statement counts and compare the figures with the core formulas over the raw rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from supportqa.conversations.models import Category, Channel
from supportqa.core import kpis
from supportqa.core.intervals import Estimate, mean_interval_from_sums, wilson
from supportqa.core.surveybias import Reweighted, Stratum, post_stratified_share
from supportqa.reports import control, durations, rollups
from supportqa.reports.periods import Period
from supportqa.reviews.models import Rating, Review
from supportqa.scorecards.models import Criterion


def scored_reviews(reviews: QuerySet[Review], period: Period) -> QuerySet[Review]:
    """Reviews that count toward IQS, first submitted in the period."""
    return reviews.counting_toward_iqs().filter(
        submitted_at__gte=period.start, submitted_at__lt=period.end
    )


@dataclass
class Panel:
    """The KPI panel shown on agent and team pages."""

    iqs: Estimate
    pass_rate: Estimate
    csat: Estimate
    nps: Estimate
    ces: Estimate
    response_rate: Estimate
    first_response: kpis.DurationSummary
    first_reply_on_time: Estimate  # share of first replies within the channel's target
    resolution: kpis.DurationSummary
    fcr: Estimate
    volume: int
    reopen_rate: Estimate


@dataclass(frozen=True)
class Kpi:
    """A panel figure an improvement action or a coaching goal may be measured by."""

    label: str
    of: Callable[[Panel], Estimate]  # the panel's estimate, in percent or points
    share: bool  # a proportion (compared with Newcombe) rather than a mean (Welch)
    higher_is_better: bool = True


KPIS: dict[str, Kpi] = {
    "csat": Kpi("CSAT (% satisfied)", lambda p: p.csat, share=True),
    "first_reply_on_time": Kpi(
        "First replies on time (%)", lambda p: p.first_reply_on_time, share=True
    ),
    "fcr": Kpi("First-contact resolution (%)", lambda p: p.fcr, share=True),
    "reopen_rate": Kpi("Reopened (%)", lambda p: p.reopen_rate, share=True, higher_is_better=False),
    "iqs": Kpi("IQS (internal quality score)", lambda p: p.iqs, share=False),
    "pass_rate": Kpi("Reviews passed (%)", lambda p: p.pass_rate, share=True),
    "response_rate": Kpi("Survey response rate (%)", lambda p: p.response_rate, share=True),
}


@dataclass
class Trends:
    iqs: list[tuple[date, Estimate]]
    csat: list[tuple[date, Estimate]]
    volume: list[tuple[date, int]]
    unit: str = "week"  # each point is a week (its Monday) or, for short periods, a UTC day


# Periods up to this long are charted day by day (a week is one point otherwise).
DAILY_UP_TO = timedelta(days=14)


def _buckets(period: Period) -> tuple[str, list[date], Callable[[date], date]]:
    """The trend charts' points: days for a short period, else weeks (their Mondays)."""
    if period.end - period.start <= DAILY_UP_TO:
        first, last = period.start.astimezone(UTC).date(), period.end.astimezone(UTC).date()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return "day", days, lambda day: day
    return "week", [monday for monday, *_ in period.weeks()], lambda d: d - timedelta(d.weekday())


@dataclass
class Dashboard:
    panel: Panel
    trends: Trends
    bias: Reweighted
    strata: list[Stratum]
    watched: list[control.Watched]  # the KPIs on control charts, week by week
    by_channel: list[tuple[str, RosterRow]]  # largest first
    by_category: list[tuple[str, RosterRow]]
    reviews: list[int]  # the period's reviews that count toward IQS (for `criterion_sums`)
    previous: Panel | None = None  # the period of the same length just before, when asked


def dashboard(
    scope: Q, reviews: QuerySet[Review], period: Period, with_previous: bool = False
) -> Dashboard:
    """The agent and team pages' figures for the conversations and survey answers whose agent
    and team `scope` admits (a Q on `agent` and `team`, which the person may see), and the
    reviews given: sums from the daily rollups, medians from the days' duration arrays,
    reviews from indexed queries.
    The statements do not grow with the data.

    Surveys: CSAT and the response rate are those of the surveys about the conversations
    created in the period, the one population the survey-bias card reweights;
    NPS and CES are of the answers given in the period.

    `with_previous`: also the panel of the period of the same length just before."""
    span = Period(period.previous().start, period.end) if with_previous else period
    rollups.current(span, kinds=("conversation", "answer"))
    # Two reads, each summed by the database: by day for the panel and the trends, by
    # channel and category for the breakdowns and survey strata (one read by all four keys
    # gave Python 3,600 rows to add up, several times over, at 1M).
    conversations = rollups.grouped(rollups.CONVERSATIONS, scope, period, ("day", "resolved"))
    sliced = rollups.grouped(
        rollups.CONVERSATIONS, scope, period, ("channel", "category_id", "resolved")
    )
    answers = rollups.grouped(rollups.ANSWERS, scope, period, ("day",))
    # One read of the reviews for both periods (each read joins the reviews to their
    # conversations for the scope).
    both = list(
        scored_reviews(reviews, span).values_list(
            "submitted_at",
            "final_score",
            "inclusion_probability",
            "scorecard_version__pass_threshold",
            "conversation__channel",
            "conversation__category_id",
            "pk",
        )
    )
    review_rows = [row for row in both if row[0] >= period.start]
    panel = _panel(scope, period, conversations, answers, review_rows)
    weeks = period.weeks()
    created = _weekly(weeks, conversations, n="volume", frt_n="first_response_n",
                      frt_sum="first_response_sum")  # fmt: skip
    csat = _weekly(weeks, conversations, n="surveys_answered", top="surveys_satisfied")
    unit, points, bucket_of = _buckets(period)
    created_points = _bucketed(points, bucket_of, conversations, n="volume")
    csat_points = _bucketed(
        points, bucket_of, conversations, n="surveys_answered", top="surveys_satisfied"
    )
    trends = Trends(
        iqs=_iqs_by(review_rows, bucket_of),
        csat=[(point, wilson(row["top"], row["n"]).scaled(100)) for point, row in csat_points
              if row["n"]],
        volume=[(point, row["n"]) for point, row in created_points],
        unit=unit,
    )  # fmt: skip
    names = Category.names()
    strata = _survey_strata(sliced, names)
    watched = control.watch(weeks, created, csat, review_rows)
    return Dashboard(
        panel,
        trends,
        post_stratified_share(strata),
        strata,
        watched,
        by_channel=_slices(sliced, review_rows, 0, dict(Channel.choices)),
        by_category=_slices(sliced, review_rows, 1, names),
        reviews=[row[6] for row in review_rows],
        previous=_means_panel(
            scope, period.previous(), [row for row in both if row[0] < period.start]
        )
        if with_previous
        else None,
    )


def panel(scope: Q, reviews: QuerySet[Review], period: Period) -> Panel:
    """The KPI panel alone for a scope and a period, durations by their means (no trends,
    charts or medians): a before/after comparison reads two of these."""
    rollups.current(period, kinds=("conversation", "answer"))
    rows = scored_reviews(reviews, period).values_list(
        "submitted_at", "final_score", "inclusion_probability", "scorecard_version__pass_threshold"
    )
    return _means_panel(scope, period, list(rows))


def _means_panel(scope: Q, period: Period, review_rows: list[tuple[Any, ...]]) -> Panel:
    """`panel` from the period's reviews already read (its rollups made current by the
    caller)."""
    return _panel(
        scope,
        period,
        rollups.grouped(rollups.CONVERSATIONS, scope, period, ("resolved",)),
        rollups.grouped(rollups.ANSWERS, scope, period, ("day",)),
        review_rows,
        medians=False,
    )


def _panel(
    scope: Q,
    period: Period,
    conversations: dict[tuple[Any, ...], dict[str, int]],
    answers: dict[tuple[Any, ...], dict[str, int]],
    review_rows: list[tuple[Any, ...]],
    medians: bool = True,
) -> Panel:
    """The panel from the period's rollup rows (keyed with "resolved" last) and reviews
    (submitted, score, inclusion probability, pass threshold, …); without `medians` the
    durations have their means only (a comparison period's tiles show those)."""
    counts = rollups.total(conversations.values())
    resolved = rollups.total(row for key, row in conversations.items() if key[-1])
    volume = counts["volume"]
    counted = {"first_response_seconds": counts["first_response_n"],
               "resolution_seconds": resolved["volume"]}  # fmt: skip
    middle = durations.medians(scope, period, counted) if medians else {}
    said = rollups.total(answers.values())
    main = _roster_row(counts, resolved, [r[1:4] for r in review_rows])
    return Panel(
        iqs=main.iqs,
        pass_rate=main.pass_rate,
        csat=main.csat,
        nps=kpis.nps_from_counts(said["promoters"], said["detractors"], said["nps_n"]),
        ces=kpis.ces_from_sums(said["ces_n"], said["ces_sum"], said["ces_sq"]),
        response_rate=kpis.response_rate(counts["surveys_answered"], counts["surveys_sent"]),
        first_response=_durations(
            counted["first_response_seconds"], counts["first_response_sum"],
            middle.get("first_response_seconds"), volume,
        ),
        first_reply_on_time=wilson(
            counts["first_reply_within"], counts["first_reply_targeted"]
        ).scaled(100),
        resolution=_durations(
            counted["resolution_seconds"], resolved["resolution_sum"],
            middle.get("resolution_seconds"), volume,
        ),
        fcr=main.fcr,
        volume=volume,
        reopen_rate=main.reopen_rate,
    )  # fmt: skip


def _slices(
    conversations: dict[tuple[Any, ...], dict[str, int]],
    review_rows: list[tuple[Any, ...]],
    position: int,
    names: dict[Any, str],
) -> list[tuple[str, RosterRow]]:
    """Per channel (key position 0) or category (1): the conversations' sums keyed (channel,
    category, resolved) and the reviews of its conversations, by the panel's formulas.
    Largest first."""
    groups: dict[Any, list[tuple[tuple[Any, ...], dict[str, int]]]] = defaultdict(list)
    for key, row in conversations.items():
        groups[key[position]].append((key, row))
    reviewed: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for row in review_rows:
        reviewed[row[4 + position]].append(row[1:4])
    slices = [
        (
            names.get(value, "Uncategorised") if value is not None else "Uncategorised",
            _roster_row(
                rollups.total(row for _, row in groups.get(value, [])),
                rollups.total(row for key, row in groups.get(value, []) if key[-1]),
                reviewed.get(value, []),
            ),
        )
        for value in set(groups) | set(reviewed)
    ]
    return sorted(slices, key=lambda s: (-s[1].volume, s[0]))


def _weekly(
    weeks: list[tuple[date, datetime, datetime]],
    by_day: dict[tuple[Any, ...], dict[str, int]],
    **columns: str,
) -> list[tuple[date, dict[str, int]]]:
    """Per week of the period (its Monday), the named sums of the rows keyed by day first."""
    mondays = [monday for monday, *_ in weeks]
    return _bucketed(mondays, lambda d: d - timedelta(days=d.weekday()), by_day, **columns)


def _bucketed(
    points: list[date],
    bucket_of: Callable[[date], date],
    by_day: dict[tuple[Any, ...], dict[str, int]],
    **columns: str,
) -> list[tuple[date, dict[str, int]]]:
    """Per point (a day, or a week's Monday), the named sums of the rows keyed by day first."""
    found: dict[date, dict[str, int]] = {point: dict.fromkeys(columns, 0) for point in points}
    for key, row in by_day.items():
        point = found.get(bucket_of(key[0]))
        if point is not None:
            for name, column in columns.items():
                point[name] += row[column]
    return list(found.items())


def _survey_strata(
    conversations: dict[tuple[Any, ...], dict[str, int]], names: dict[Any, str]
) -> list[Stratum]:
    """Strata channel × category × outcome: conversations, surveys sent, answers, satisfied."""
    strata: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (channel, category, is_resolved), row in conversations.items():
        stratum = strata[(channel, names.get(category), bool(is_resolved))]
        for column in ("volume", "surveys_sent", "surveys_answered", "surveys_satisfied"):
            stratum[column] += row[column]
    return sorted(
        (
            Stratum(key, row["volume"], row["surveys_sent"], row["surveys_answered"],
                    row["surveys_satisfied"])
            for key, row in strata.items()
            if row["volume"]
        ),
        key=lambda s: (-s.population, str(s.key)),
    )  # fmt: skip


def _durations(n: int, total: int, median: float | None, volume: int) -> kpis.DurationSummary:
    """Mean (from the rollups' count and sum) and median (`durations.medians`; none for a comparison
    period) of a duration column; rows where it is null are counted as excluded."""
    if not n:
        return kpis.DurationSummary(0, None, None, volume)
    return kpis.DurationSummary(n, total / n, median, volume - n)


def _iqs_by(
    review_rows: list[tuple[Any, ...]], bucket_of: Callable[[date], date]
) -> list[tuple[date, Estimate]]:
    """IQS per point (UTC day, or week), weighted by inclusion probabilities exactly as the
    headline IQS."""
    scores: dict[date, list[float]] = defaultdict(list)
    probabilities: dict[date, list[float]] = defaultdict(list)
    for submitted_at, score, probability, *_ in review_rows:
        week = bucket_of(submitted_at.astimezone(UTC).date())
        scores[week].append(score)
        probabilities[week].append(probability)
    return [(week, kpis.iqs(scores[week], probabilities[week])) for week in sorted(scores)]


def criterion_by_agent(reviews: QuerySet[Review], period: Period, key: str) -> dict[int, Estimate]:
    """Mean score (0–100) of one criterion (matched across versions by key) per reviewed
    agent: n, Σx and Σx² from the database."""
    rows = (
        Rating.objects.filter(
            review__in=scored_reviews(reviews, period), is_na=False, criterion__key=key
        )
        .values_list("review__reviewee_id")
        .annotate(n=Count("score"), total=Sum("score"), squares=Sum(F("score") * F("score")))
        .order_by()
    )
    return {agent: mean_interval_from_sums(n, total, squares) for agent, n, total, squares in rows}


def criterion_breakdown(reviews: QuerySet[Review], period: Period) -> list[tuple[str, Estimate]]:
    """Mean criterion score (0–100) per criterion, matched across scorecard versions by key
    and named as in the latest version: n, Σx and Σx² from the database, one row each."""
    return criterion_estimates(criterion_sums(scored_reviews(reviews, period)))


CriterionSums = list[tuple[str, str, str, int, float, float]]


def criterion_estimates(sums: CriterionSums) -> list[tuple[str, Estimate]]:
    """`criterion_breakdown` from sums already read."""
    return [
        (name, mean_interval_from_sums(n, total, squares)) for *_, name, n, total, squares in sums
    ]


# Review ids per statement when criterion sums are read by id: SQLite takes at most 32,766
# parameters a statement (a team's year of reviews can hold more).
ID_CHUNK = 10_000


def criterion_sums(scored: QuerySet[Review] | list[int]) -> CriterionSums:
    """Per criterion, by scorecard and name: its scorecard's name, key, shown name, and n, Σx
    and Σx² of the scores of these reviews (`scored_reviews`, or their ids when the page has
    read them already, so the reviews are not found a second time; long lists are read
    ID_CHUNK at a time and the sums added) — `criterion_breakdown`'s rows, for intervals at
    other confidence levels. (The order was the database's grouping order before, which no
    one chose.)"""
    chunks: list[QuerySet[Review] | list[int]] = [scored]
    if isinstance(scored, list):
        chunks = [scored[i : i + ID_CHUNK] for i in range(0, len(scored), ID_CHUNK)]
    sums: dict[tuple[str, str], list[float]] = {}
    placed = Criterion.placed()
    for chunk in chunks:
        # Summed per criterion id, placed here: grouping by the joined scorecard name and key
        # made PostgreSQL join and hash text for every rating (13.7 -> 8.8 ms at 1M).
        rows = (
            Rating.objects.filter(review__in=chunk, is_na=False)
            .values_list("criterion_id")
            .annotate(n=Count("score"), total=Sum("score"), squares=Sum(F("score") * F("score")))
            .order_by()
        )
        for criterion, n, total, squares in rows:
            if criterion not in placed:  # newer than the kept read (published meanwhile)
                placed = Criterion.placed(fresh=True)
            into = sums.setdefault(placed[criterion], [0, 0, 0])
            into[0] += n
            into[1] += total or 0
            into[2] += squares or 0
    names = Criterion.latest_names()
    found = [
        (
            scorecard,
            key,
            names.get(key, key)
            if scorecard.startswith("Chat")
            else f"{scorecard}: {names.get(key, key)}",
            int(n),
            total,
            squares,
        )
        for (scorecard, key), (n, total, squares) in sums.items()
        if n
    ]
    return sorted(found, key=lambda row: (row[0], row[2], row[1]))  # by scorecard, then name


@dataclass
class RosterRow:
    """The main figures of one agent, team, channel or category, and those of the panel:
    the one place their formulas are written."""

    iqs: Estimate
    pass_rate: Estimate
    csat: Estimate
    first_response: float | None  # mean seconds
    fcr: Estimate
    volume: int
    reopen_rate: Estimate


def roster(
    scope: Q, reviews: QuerySet[Review], period: Period, by: str
) -> dict[int | None, RosterRow]:
    """The main figures per agent (`by="agent"`) or per team (`by="team"`) of the scope: the
    same rollups, reviews and formulas as `dashboard`, grouped (medians are left to each
    agent's or team's own page)."""
    rollups.current(period, kinds=("conversation",))
    key = f"{by}_id"
    conversations = rollups.grouped(rollups.CONVERSATIONS, scope, period, (key, "resolved"))
    path = "reviewee_id" if by == "agent" else "team_id"
    reviewed: dict[int | None, list[tuple[float, float, float]]] = defaultdict(list)
    for owner, *row in scored_reviews(reviews, period).values_list(
        path, "final_score", "inclusion_probability", "scorecard_version__pass_threshold"
    ):
        reviewed[owner].append(tuple(row))  # type: ignore[arg-type]
    counts = rollups.by_key(conversations)
    resolved = rollups.by_key({k: row for k, row in conversations.items() if k[-1]})
    keys = set(counts) | set(reviewed)
    return {k: _roster_row(counts[k], resolved[k], reviewed[k]) for k in keys}


def _roster_row(
    counts: dict[str, int], resolved: dict[str, int], reviews: Sequence[Sequence[Any]]
) -> RosterRow:
    """From the summed rollup rows (all, and the resolved ones) and the reviews as (score,
    inclusion probability, pass threshold)."""
    n = counts["first_response_n"]
    return RosterRow(
        iqs=kpis.iqs([r[0] for r in reviews], [r[1] for r in reviews]),
        pass_rate=kpis.pass_rate((r[0], r[2]) for r in reviews),
        csat=wilson(counts["surveys_satisfied"], counts["surveys_answered"]).scaled(100),
        first_response=counts["first_response_sum"] / n if n else None,
        fcr=wilson(counts["first_contact"], resolved["volume"]).scaled(100),
        volume=counts["volume"],
        reopen_rate=wilson(counts["reopened"], resolved["volume"]).scaled(100),
    )
