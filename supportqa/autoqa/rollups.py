"""AutoQA's daily rollups: its reviews, ratings and findings per agent and day of their
conversation's creation (the AutoQA page's period), kept current with the reports' rollups
(registered in apps.py; triggers in migration 0003)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from supportqa.autoqa.models import (
    AutoQACriterionDay,
    AutoQACriterionEveryoneDay,
    AutoQACriterionEveryoneHour,
    AutoQACriterionHour,
    AutoQADay,
    AutoQADetectorDay,
    AutoQADetectorEveryoneDay,
    AutoQADetectorEveryoneHour,
    AutoQADetectorHour,
    AutoQAHour,
    Finding,
)
from supportqa.reports import rollups
from supportqa.reports.periods import Period
from supportqa.reports.rollups import Part, Rollup, sum_or_zero
from supportqa.reviews.models import Rating, Review, Source, scored_condition
from supportqa.reviews.three_sixty import SourceSums


def _autoqa_reviews() -> QuerySet[Review]:
    return Review.objects.scored().filter(source=Source.AUTOQA)


def _of_autoqa_reviews() -> Q:
    """Rows of scored AutoQA reviews, as a join (a planner starts it from the conversations'
    creation index; an IN list of review ids it would read whole)."""
    return Q(review__source=Source.AUTOQA) & scored_condition("review__")


AUTOQA = Rollup(
    AutoQADay,
    "autoqa",
    (
        Part(
            _autoqa_reviews,
            "conversation__created_at",
            {"agent": "reviewee"},
            lambda: {"agent_id": F("reviewee_id")},
            lambda: {
                "reviews": Count("pk"),
                "score_n": Count("final_score"),
                "score_sum": sum_or_zero("final_score", 0.0),
                "score_sq": sum_or_zero(F("final_score") * F("final_score"), 0.0),
            },
        ),
    ),
    hourly=AutoQAHour,
)
AUTOQA_CRITERIA = Rollup(
    AutoQACriterionDay,
    "autoqa",
    (
        Part(
            lambda: Rating.objects.filter(_of_autoqa_reviews(), is_na=False),
            "review__conversation__created_at",
            {"agent": "review__reviewee"},
            lambda: {"agent_id": F("review__reviewee_id"), "criterion_key": F("criterion__key")},
            lambda: {
                "ratings": Count("score"),
                "score_sum": sum_or_zero("score", 0.0),
                "score_sq": sum_or_zero(F("score") * F("score"), 0.0),
            },
        ),
    ),
    hourly=AutoQACriterionHour,
)
AUTOQA_DETECTORS = Rollup(
    AutoQADetectorDay,
    "autoqa",
    (
        Part(
            lambda: Finding.objects.filter(_of_autoqa_reviews()),
            "review__conversation__created_at",
            {"agent": "review__reviewee"},
            lambda: {"agent_id": F("review__reviewee_id"), "detector": F("detector")},
            lambda: {
                "findings": Count("pk"),
                "hit": Count("pk", filter=Q(score__gte=Finding.HIT)),
                "partial": Count("pk", filter=Q(score__gte=Finding.PARTIAL, score__lt=Finding.HIT)),
                "miss": Count("pk", filter=Q(score__lt=Finding.PARTIAL)),
                "na": Count("pk", filter=Q(score__isnull=True)),
            },
        ),
    ),
    hourly=AutoQADetectorHour,
)
ROLLUPS = (
    AUTOQA,
    AUTOQA_CRITERIA,
    AUTOQA_DETECTORS,
    rollups.everyones(AUTOQA_CRITERIA, AutoQACriterionEveryoneDay, AutoQACriterionEveryoneHour),
    rollups.everyones(AUTOQA_DETECTORS, AutoQADetectorEveryoneDay, AutoQADetectorEveryoneHour),
)


def three_sixty_sums(agent: Any, start: datetime, end: datetime) -> SourceSums:
    """The agent's AutoQA column of the 360° view: criterion and review score sums of the
    conversations created in [start, end), from the rollups."""
    period = Period(start, end)
    rollups.current(period, kinds=[AUTOQA.kind])
    scope = Q(agent=agent)
    criteria = rollups.by_key(rollups.grouped(AUTOQA_CRITERIA, scope, period, ("criterion_key",)))
    overall = rollups.total(rollups.grouped(AUTOQA, scope, period, ("day",)).values())
    return SourceSums(
        {key: (row["ratings"], row["score_sum"], row["score_sq"]) for key, row in criteria.items()},
        (overall["score_n"], overall["score_sum"], overall["score_sq"]),
    )
