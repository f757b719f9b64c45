"""Dashboard figures for a set of conversations: queries here, formulas in `supportqa.core`.

Counts, sums and medians are computed by the database (conditional aggregates and ORDER BY …
OFFSET), so a page costs a fixed number of queries and never loads every conversation; the
tests pin the query counts and compare the figures with the core formulas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from supportqa.conversations.models import (
    Category,
    Channel,
    Conversation,
    first_reply_against_target,
)
from supportqa.core import kpis
from supportqa.core.intervals import Estimate, mean_interval, wilson
from supportqa.core.surveybias import Reweighted, Stratum, post_stratified_share
from supportqa.reports import control
from supportqa.reports.periods import Period, week_start
from supportqa.reviews.models import Rating, Review
from supportqa.surveys.models import SATISFIED, SurveyResponse, SurveySent


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


@dataclass
class Trends:
    iqs: list[tuple[date, Estimate]]
    csat: list[tuple[date, Estimate]]
    volume: list[tuple[date, int]]


@dataclass
class Dashboard:
    panel: Panel
    trends: Trends
    bias: Reweighted
    strata: list[Stratum]
    watched: list[control.Watched]  # the KPIs on control charts, week by week


def dashboard(
    conversations: QuerySet[Conversation],
    reviews: QuerySet[Review],
    surveys: QuerySet[SurveyResponse],
    sent: QuerySet[SurveySent],
    period: Period,
) -> Dashboard:
    in_period = conversations.filter(created_at__gte=period.start, created_at__lt=period.end)
    answered = surveys.filter(answered_at__gte=period.start, answered_at__lt=period.end)
    weeks = period.weeks()
    # Weekly windows lie inside the period: filtering the unwindowed querysets leaves each
    # week's query a single index range (a second range on the same column defeats it).
    within, late = first_reply_against_target()
    counts, population, side = together(
        lambda: _conversation_totals(in_period, within, late),
        lambda: _stratum_volumes(in_period),
        lambda: _Side(
            answers=_survey_counts(answered),
            review_rows=list(
                scored_reviews(reviews, period).values_list(
                    "submitted_at",
                    "final_score",
                    "inclusion_probability",
                    "scorecard_version__pass_threshold",
                )
            ),
            sending=sent.filter(sent_at__gte=period.start, sent_at__lt=period.end).aggregate(
                sent=Count("pk"), answered=Count("response")
            ),
            created=_weekly(
                conversations,
                "created_at",
                weeks,
                n=Count("pk"),
                frt_n=Count("first_response_seconds"),
                frt_sum=Sum("first_response_seconds"),
            ),
            csat=_weekly(
                surveys, "answered_at", weeks, n=Count("csat"), top=Count("pk", filter=SATISFIED)
            ),
            replies=_survey_replies(sent.filter(conversation__in=in_period)),
        ),
    )
    answers, review_rows, volume = side.answers, side.review_rows, counts["volume"]
    first_response, resolution = together(
        lambda: _durations(in_period, "first_response_seconds", counts, volume),
        lambda: _durations(in_period, "resolution_seconds", counts, volume),
    )
    panel = Panel(
        iqs=kpis.iqs([r[1] for r in review_rows], [r[2] for r in review_rows]),
        pass_rate=kpis.pass_rate((r[1], r[3]) for r in review_rows),
        csat=wilson(answers["csat_top"], answers["csat_n"]).scaled(100),
        nps=kpis.nps_from_counts(answers["promoters"], answers["detractors"], answers["nps_n"]),
        ces=kpis.ces_from_sums(answers["ces_n"], answers["ces_sum"] or 0, answers["ces_sq"] or 0),
        response_rate=kpis.response_rate(side.sending["answered"], side.sending["sent"]),
        first_response=first_response,
        first_reply_on_time=wilson(
            counts["first_reply_within"], counts["first_reply_targeted"]
        ).scaled(100),
        resolution=resolution,
        fcr=wilson(counts["first_contact"], counts["resolved"]).scaled(100),
        volume=volume,
        reopen_rate=wilson(counts["reopened"], counts["resolved"]).scaled(100),
    )
    trends = Trends(
        iqs=_weekly_iqs(review_rows),
        csat=[
            (monday, wilson(row["top"], row["n"]).scaled(100))
            for monday, row in side.csat
            if row["n"]
        ],
        volume=[(monday, row["n"]) for monday, row in side.created],
    )
    strata = _survey_strata(population, side.replies)
    watched = control.watch(weeks, side.created, side.csat, review_rows)
    return Dashboard(panel, trends, post_stratified_share(strata), strata, watched)


@dataclass
class _Side:
    """The dashboard's figures that do not depend on the conversation scans."""

    answers: dict[str, Any]
    review_rows: list[tuple[Any, ...]]
    sending: dict[str, int]
    created: list[tuple[date, dict[str, Any]]]
    csat: list[tuple[date, dict[str, Any]]]
    replies: tuple[dict[tuple[Any, ...], dict[str, Any]], dict[int, str]]


# Two scan threads for the whole process: dashboards of concurrent requests share them, so
# side-by-side scans never use more threads than this machine class has cores.
_SCANS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="supportqa-scan")


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent read-only calls at the same time, the first in this thread and the
    others on the scan threads (each with its own database connection); return their results
    in order.

    A dashboard's statements are independent reads in autocommit mode (each sees its own
    snapshot either way), so running them side by side changes no figure; the database works
    on them on two cores while Python waits. Inside a transaction (a caller's atomic block, or
    a test's) another connection would not see uncommitted rows, so they run one after another.
    """
    if len(calls) < 2 or any(connections[alias].in_atomic_block for alias in connections):
        return [call() for call in calls]
    futures = [_SCANS.submit(_on_scan_thread, call) for call in calls[1:]]
    first = calls[0]()
    return [first, *(future.result() for future in futures)]


def _on_scan_thread(call: Callable[[], Any]) -> Any:
    """A scan thread keeps an SQLite connection, and with it a warm page cache (a fresh one
    costs ~7 ms more per 100,000-row scan), unless it failed; connections to a server are
    closed after each call, so none outlives its request."""
    for connection in connections.all(initialized_only=True):
        if connection.errors_occurred:
            connection.close()
    try:
        return call()
    finally:
        for connection in connections.all(initialized_only=True):
            if connection.vendor != "sqlite":
                connection.close()


def _survey_replies(
    sent: QuerySet[SurveySent],
) -> tuple[dict[tuple[Any, ...], dict[str, Any]], dict[int, str]]:
    """Surveys sent, answered and satisfied per channel × category × outcome, and the
    category names."""
    answered = Q(response__csat__isnull=False)
    satisfied = answered & Q(response__csat__gte=F("response__csat_scale") - 1)
    surveyed = (
        sent.annotate(
            resolved=ExpressionWrapper(
                Q(conversation__resolution_seconds__isnull=False), output_field=BooleanField()
            ),
        )
        .values("conversation__channel", "conversation__category_id", "resolved")
        .annotate(
            sent=Count("pk"),
            answered=Count("pk", filter=answered),
            satisfied=Count("pk", filter=satisfied),
        )
        .order_by()
    )
    replies = {
        (r["conversation__channel"], r["conversation__category_id"], r["resolved"]): r
        for r in surveyed
    }
    return replies, dict(Category.objects.values_list("pk", "name"))


def _survey_strata(
    population: list[dict[str, Any]],
    surveyed: tuple[dict[tuple[Any, ...], dict[str, Any]], dict[int, str]],
) -> list[Stratum]:
    """Strata channel × category × outcome: conversations, surveys sent, answers, satisfied."""
    replies, names = surveyed
    strata = []
    for row in population:
        got = replies.get((row["channel"], row["category_id"], row["is_resolved"]), {})
        key = (row["channel"], names.get(row["category_id"]), row["is_resolved"])
        strata.append(
            Stratum(
                key,
                row["volume"],
                got.get("sent", 0),
                got.get("answered", 0),
                got.get("satisfied", 0),
            )
        )
    return sorted(strata, key=lambda s: (-s.population, str(s.key)))


def resolved() -> Q:
    """A conversation is resolved when it has a resolution time."""
    return Q(resolution_seconds__isnull=False)


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


def _conversation_totals(in_period: QuerySet[Conversation], within: Q, late: Q) -> dict[str, Any]:
    """One scan of the covering KPI index: volume and resolution outcomes, the duration
    totals and first replies within / after the channel's target."""
    return in_period.aggregate(
        **outcome_counts(),
        first_response_seconds_n=Count("first_response_seconds"),
        first_response_seconds_sum=Sum("first_response_seconds"),
        resolution_seconds_n=Count("resolution_seconds"),
        resolution_seconds_sum=Sum("resolution_seconds"),
        first_reply_within=Count("pk", filter=within),
        first_reply_targeted=Count("pk", filter=within | late),
    )


_CHANNELS = list(Channel.values)
_STRATA_PER_CATEGORY = 2 * len(_CHANNELS)


def _stratum_volumes(in_period: QuerySet[Conversation]) -> list[dict[str, Any]]:
    """Conversations per channel × category × resolved (the survey strata). A scan of its own:
    grouping sorts every row, and only the volume needs it. The three are packed into one
    integer (category · 2·channels + 2·channel + resolved), which sorts about a third faster
    than the three columns."""
    stratum = (
        Coalesce("category_id", 0) * _STRATA_PER_CATEGORY
        + Case(
            *(When(channel=c, then=2 * i) for i, c in enumerate(_CHANNELS)),
            default=2 * _CHANNELS.index(Channel.OTHER),  # a value outside the choices
        )
        + Case(When(resolved(), then=1), default=0)
    )
    rows = (
        in_period.annotate(stratum=stratum)
        .values_list("stratum")
        .annotate(volume=Count("pk"))
        .order_by()
    )
    out = []
    for key, volume in rows:
        category, rest = divmod(key, _STRATA_PER_CATEGORY)
        channel, resolved_bit = divmod(rest, 2)
        out.append(
            {
                "channel": _CHANNELS[channel],
                "category_id": category or None,
                "is_resolved": bool(resolved_bit),
                "volume": volume,
            }
        )
    return out


def _survey_counts(answered: QuerySet[SurveyResponse]) -> dict[str, Any]:
    """One query: CSAT, NPS and CES counts and sums."""
    return answered.aggregate(
        csat_n=Count("csat"),
        csat_top=Count("pk", filter=SATISFIED),
        nps_n=Count("nps"),
        promoters=Count("pk", filter=Q(nps__gte=9)),
        detractors=Count("pk", filter=Q(nps__lte=6)),
        ces_n=Count("ces"),
        ces_sum=Sum("ces"),
        ces_sq=Sum(F("ces") * F("ces")),
    )


def _weekly(
    rows: QuerySet[Any], field: str, weeks: list[tuple[date, datetime, datetime]], **aggregates: Any
) -> list[tuple[date, dict[str, Any]]]:
    """Aggregates per week in one statement: a UNION ALL of one index-range query per week
    (a CASE-bucketed GROUP BY would compare every row against every week boundary)."""
    parts = [
        rows.filter(**{f"{field}__gte": start, f"{field}__lt": end})
        .annotate(week=Value(index))
        .values("week")
        .annotate(**aggregates)
        .order_by()
        for index, (_, start, end) in enumerate(weeks)
    ]
    found = {row["week"]: row for row in parts[0].union(*parts[1:], all=True)} if parts else {}
    empty = dict.fromkeys(aggregates, 0)
    return [(monday, found.get(index, empty)) for index, (monday, _, _) in enumerate(weeks)]


def _durations(
    in_period: QuerySet[Conversation], field: str, counts: dict[str, Any], volume: int
) -> kpis.DurationSummary:
    """Mean and median of a duration column; rows where it is null are counted as excluded."""
    n = counts[f"{field}_n"]
    if not n:
        return kpis.DurationSummary(0, None, None, volume)
    middle = list(
        in_period.filter(**{f"{field}__isnull": False})
        .order_by(field)
        .values_list(field, flat=True)[(n - 1) // 2 : n // 2 + 1]
    )
    return kpis.DurationSummary(
        n, counts[f"{field}_sum"] / n, sum(middle) / len(middle), volume - n
    )


def _weekly_iqs(review_rows: list[tuple[Any, ...]]) -> list[tuple[date, Estimate]]:
    """IQS per week, weighted by inclusion probabilities exactly as the headline IQS."""
    scores: dict[date, list[float]] = defaultdict(list)
    probabilities: dict[date, list[float]] = defaultdict(list)
    for submitted_at, score, probability, *_ in review_rows:
        week = week_start(submitted_at)
        scores[week].append(score)
        probabilities[week].append(probability)
    return [(week, kpis.iqs(scores[week], probabilities[week])) for week in sorted(scores)]


def criterion_breakdown(reviews: QuerySet[Review], period: Period) -> list[tuple[str, Estimate]]:
    """Mean criterion score (0–100) per criterion, matched across scorecard versions by key."""
    rows = Rating.objects.filter(
        review__in=scored_reviews(reviews, period), is_na=False
    ).values_list(
        "criterion__section__version__scorecard__name", "criterion__name", "criterion__key", "score"
    )
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for scorecard, name, key, score in rows:
        grouped[(scorecard, key)].append(score)
        names[(scorecard, key)] = name if scorecard.startswith("Chat") else f"{scorecard}: {name}"
    return [(names[k], mean_interval(v)) for k, v in grouped.items()]
