"""AutoQA's daily rollups: its reviews, ratings and findings per agent and day of their
conversation's creation (the AutoQA page's period), kept current with the reports' rollups
(registered in apps.py; triggers in migration 0003)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.db.models.lookups import Exact

from supportqa.autoqa.models import (
    AgreementDay,
    AgreementEveryoneDay,
    AgreementEveryoneHour,
    AgreementHour,
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
    UnsureCheckDay,
    UnsureCheckHour,
)
from supportqa.conversations.models import Conversation
from supportqa.lookups import Unindexed
from supportqa.reports import rollups
from supportqa.reports.periods import Period
from supportqa.reports.rollups import Part, Rollup, sum_or_zero
from supportqa.reviews.models import Rating, Review, Source, counting_condition, scored_condition
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


# --- AutoQA against people ------------------------------------------------------------------
# Kept under their own kind of marks: people's reviews and AutoQA's both change them, and a
# person's review should not recompute a day of AutoQA's other rollups (seconds at 1M).
AGREEMENT_KIND = "agreement"


def rating_pairs() -> QuerySet[Rating]:
    """The one definition of AutoQA's agreement with people: people's ratings (not N/A) in
    reviews that count toward IQS, each with AutoQA's option value (`ours`) for the same
    criterion key in its scored review of the same conversation and agent; a rating AutoQA
    has no counterpart for is left out. Its option value is the person's (`theirs`)."""
    # AutoQA's review found by its conversation: its agent, source and status as conditions
    # no index serves on SQLite, whose planner otherwise took the agent's index (at 1M, each
    # agent's 17,000 AutoQA reviews read for every rating) or could take the source's.
    automatic = Rating.objects.filter(
        Exact(Unindexed("review__source"), Source.AUTOQA),
        Exact(Unindexed("review__reviewee_id"), OuterRef("review__reviewee_id")),
        scored_condition("review__", indexed=False),
        review__conversation_id=OuterRef("review__conversation_id"),
        criterion__key=OuterRef("criterion__key"),
        is_na=False,
    ).values("option__value")[:1]
    # People's reviews found by their conversations (a day's, an hour's), not by their
    # source and status: on SQLite those read every person's review for each day.
    return (
        Rating.objects.filter(counting_condition("review__", indexed=False), is_na=False)
        .annotate(ours=Subquery(automatic, output_field=FloatField()))
        .filter(ours__isnull=False)
    )


def unsure_units() -> QuerySet[Conversation]:
    """The unsure check's units: conversations AutoQA scored (with a confidence) that have
    rating pairs, each with its share (%) of pairs that agree (the mean of 100 for a pair
    that agrees and 0 for one that does not: 100·agreed/rated, to the last bit) and whether
    AutoQA was unsure of it. One subquery gives the share (Django repeats it where the sums
    use it): a count of pairs and one of agreeing pairs were two, and PostgreSQL planned each
    of their copies anew, 19 ms a page at 1M. A unit is a conversation, whatever agents its
    pairs are of, under its own (current) agent."""
    from supportqa.autoqa.actions import UNSURE_BELOW  # actions -> rollups at import

    agrees = ExpressionWrapper(Q(ours=F("option__value")), output_field=BooleanField())
    points = Cast(Cast(agrees, IntegerField()), FloatField()) * Value(100.0)
    share = (
        rating_pairs()
        .filter(review__conversation_id=OuterRef("pk"))
        .order_by()
        .values("review__conversation_id")
        .annotate(share=Avg(points))
        .values("share")
    )
    people = Review.objects.filter(counting_condition(), conversation_id=OuterRef("pk"))
    return (
        # The people's reviews first: an index probe, where the share is a join of ratings.
        Conversation.objects.filter(Exists(people), autoqa_job__confidence__isnull=False)
        .annotate(
            share=Subquery(share, output_field=FloatField()),
            unsure_flag=ExpressionWrapper(
                Q(autoqa_job__confidence__lt=UNSURE_BELOW), output_field=BooleanField()
            ),
        )
        .filter(share__isnull=False)
    )


AGREEMENT = Rollup(
    AgreementDay,
    AGREEMENT_KIND,
    (
        Part(
            rating_pairs,
            "review__conversation__created_at",
            {"agent": "review__reviewee"},
            lambda: {
                "agent_id": F("review__reviewee_id"),
                "criterion_key": F("criterion__key"),
                "ours": F("ours"),
                "theirs": F("option__value"),
            },
            lambda: {"pairs": Count("pk")},
        ),
    ),
    hourly=AgreementHour,
)
UNSURE_CHECK = Rollup(
    UnsureCheckDay,
    AGREEMENT_KIND,
    (
        Part(
            unsure_units,
            "created_at",
            {},
            lambda: {"agent_id": F("agent_id"), "unsure": F("unsure_flag")},
            lambda: {
                "conversations": Count("pk"),
                "share_sum": sum_or_zero("share", 0.0),
                "share_sq": sum_or_zero(F("share") * F("share"), 0.0),
            },
        ),
    ),
    hourly=UnsureCheckHour,
)
ROLLUPS = (
    AUTOQA,
    AUTOQA_CRITERIA,
    AUTOQA_DETECTORS,
    rollups.everyones(AUTOQA_CRITERIA, AutoQACriterionEveryoneDay, AutoQACriterionEveryoneHour),
    rollups.everyones(AUTOQA_DETECTORS, AutoQADetectorEveryoneDay, AutoQADetectorEveryoneHour),
    AGREEMENT,
    rollups.everyones(AGREEMENT, AgreementEveryoneDay, AgreementEveryoneHour),
    UNSURE_CHECK,
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
