"""Dashboard figures for a set of conversations: queries here, formulas in `supportqa.core`.

Every function issues a fixed number of queries whatever the data size (pinned in tests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from supportqa.conversations.models import Conversation
from supportqa.core import kpis
from supportqa.core.intervals import Estimate, mean_interval
from supportqa.reviews.models import IQS_SOURCES, SCORED_STATUSES, Rating, Review
from supportqa.surveys.models import SurveyResponse, SurveySent


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 86400))


def scored_reviews(reviews: QuerySet[Review]) -> QuerySet[Review]:
    return reviews.filter(
        status__in=SCORED_STATUSES, source__in=IQS_SOURCES, final_score__isnull=False
    )


@dataclass
class Panel:
    """The KPI panel shown on agent and team pages."""

    iqs: Estimate
    pass_rate: Estimate
    csat: Estimate
    csat_mean: Estimate
    nps: Estimate
    ces: Estimate
    response_rate: Estimate
    first_response: kpis.DurationSummary
    resolution: kpis.DurationSummary
    fcr: Estimate
    volume: int
    reopen_rate: Estimate


def panel(
    conversations: QuerySet[Conversation],
    reviews: QuerySet[Review],
    surveys: QuerySet[SurveyResponse],
    period: Period,
) -> Panel:
    in_period = conversations.filter(created_at__gte=period.start, created_at__lt=period.end)
    rows = list(
        in_period.values_list(
            "pk",
            "customer_id",
            "category_id",
            "created_at",
            "first_response_at",
            "resolved_at",
            "reopen_count",
        )
    )
    later = list(
        conversations.filter(
            created_at__gte=period.end,
            created_at__lt=period.end + timedelta(days=settings.SUPPORTQA_FCR_DAYS),
        ).values_list("pk", "customer_id", "category_id", "created_at", "resolved_at")
    )
    review_rows = list(
        scored_reviews(reviews)
        .filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
        .values_list("final_score", "inclusion_probability", "scorecard_version__pass_threshold")
    )
    answers = list(
        surveys.filter(answered_at__gte=period.start, answered_at__lt=period.end).values_list(
            "csat", "csat_scale", "nps", "ces"
        )
    )
    sent = SurveySent.objects.filter(conversation__in=in_period).count()
    return Panel(
        iqs=kpis.iqs([r[0] for r in review_rows], [r[1] for r in review_rows]),
        pass_rate=_pass_rate(review_rows),
        csat=kpis.csat_percent((a[0], a[1]) for a in answers if a[0] is not None),
        csat_mean=kpis.csat_mean((a[0], a[1]) for a in answers if a[0] is not None),
        nps=kpis.nps([a[2] for a in answers if a[2] is not None]),
        ces=kpis.ces([a[3] for a in answers if a[3] is not None]),
        response_rate=kpis.response_rate(min(len(answers), sent), sent),
        first_response=kpis.summarise_durations(
            None if r[4] is None else (r[4] - r[3]).total_seconds() for r in rows
        ),
        resolution=kpis.summarise_durations(kpis.resolution_seconds(r[3], r[5]) for r in rows),
        fcr=kpis.first_contact_resolution(
            [_contact(r[0], r[1], r[2], r[3], r[5], r[6]) for r in rows],
            settings.SUPPORTQA_FCR_DAYS,
            [_contact(r[0], r[1], r[2], r[3], r[4], 0) for r in later],
        ),
        volume=len(rows),
        reopen_rate=_reopen_rate(rows),
    )


def _contact(
    pk: int,
    customer: Any,
    category: Any,
    created: datetime,
    resolved: datetime | None,
    reopens: int,
) -> kpis.Contact:
    # Conversations without a known customer can never count as repeat contacts of each other.
    key = f"c{customer}" if customer is not None else f"conversation{pk}"
    return kpis.Contact(str(pk), key, str(category), created, resolved, reopens)


def _pass_rate(review_rows: list[tuple[Any, ...]]) -> Estimate:
    passed = sum(1 for score, _, threshold in review_rows if score >= threshold)
    return kpis.wilson(passed, len(review_rows)).scaled(100)


def _reopen_rate(rows: list[tuple[Any, ...]]) -> Estimate:
    resolved = [r for r in rows if r[5] is not None]
    return kpis.wilson(sum(1 for r in resolved if r[6]), len(resolved)).scaled(100)


def criterion_breakdown(reviews: QuerySet[Review], period: Period) -> list[tuple[str, Estimate]]:
    """Mean criterion score (0–100) per criterion, matched across scorecard versions by key."""
    rows = Rating.objects.filter(
        review__in=scored_reviews(reviews).filter(
            submitted_at__gte=period.start, submitted_at__lt=period.end
        ),
        is_na=False,
    ).values_list(
        "criterion__section__version__scorecard__name", "criterion__name", "criterion__key", "score"
    )
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for scorecard, name, key, score in rows:
        grouped[(scorecard, key)].append(score)
        names[(scorecard, key)] = (
            f"{name}" if scorecard.startswith("Chat") else f"{scorecard}: {name}"
        )
    return [(names[k], mean_interval(v)) for k, v in grouped.items()]


def week_start(value: datetime) -> date:
    day = value.date()
    return day - timedelta(days=day.weekday())


def weekly(
    pairs: Iterable[tuple[datetime, float]],
    summarise: Callable[[list[float]], Estimate] = mean_interval,
) -> list[tuple[date, Estimate]]:
    grouped: dict[date, list[float]] = defaultdict(list)
    for at, value in pairs:
        grouped[week_start(at)].append(value)
    return [(week, summarise(values)) for week, values in sorted(grouped.items())]


def _share_percent(flags: list[float]) -> Estimate:
    return kpis.wilson(int(sum(flags)), len(flags)).scaled(100)


def weekly_count(values: Iterable[datetime]) -> list[tuple[date, int]]:
    grouped: dict[date, int] = defaultdict(int)
    for at in values:
        grouped[week_start(at)] += 1
    return sorted(grouped.items())


@dataclass
class Trends:
    iqs: list[tuple[date, Estimate]]
    csat: list[tuple[date, Estimate]]
    volume: list[tuple[date, int]]


def trends(
    conversations: QuerySet[Conversation],
    reviews: QuerySet[Review],
    surveys: QuerySet[SurveyResponse],
    period: Period,
) -> Trends:
    iqs_rows = (
        scored_reviews(reviews)
        .filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
        .values_list("submitted_at", "final_score")
    )
    csat_rows = surveys.filter(
        answered_at__gte=period.start, answered_at__lt=period.end, csat__isnull=False
    ).values_list("answered_at", "csat", "csat_scale")
    created = conversations.filter(
        created_at__gte=period.start, created_at__lt=period.end
    ).values_list("created_at", flat=True)
    return Trends(
        iqs=weekly(iqs_rows),
        csat=weekly(
            ((at, float(kpis.csat_is_satisfied(score, scale))) for at, score, scale in csat_rows),
            _share_percent,
        ),
        volume=weekly_count(created),
    )
