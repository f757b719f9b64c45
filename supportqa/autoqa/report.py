"""The AutoQA page's figures: AQS by criterion and agent, detector hit rates, agreement with
human reviewers, and the queue of conversations AutoQA is unsure about."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from supportqa.autoqa.actions import UNSURE_BELOW
from supportqa.autoqa.models import Finding, Job, detector_label
from supportqa.core.agreement import Agreement, ordinal_kappa
from supportqa.core.intervals import Estimate, mean_interval, wilson
from supportqa.reviews.models import Rating, Review


@dataclass(frozen=True)
class CriterionAgreement:
    key: str
    name: str
    pairs: int
    exact: Estimate  # share of conversations where AutoQA chose the human's option, %
    kappa: Agreement | None  # Cohen's κ, quadratic weights (ordinal scales)
    below_precision: float | None  # of AutoQA's lowest ratings, the share humans agree with
    below_recall: float | None  # of the humans' lowest ratings, the share AutoQA found


def aqs_by_criterion(autoqa: QuerySet[Review]) -> list[dict[str, Any]]:
    return list(
        Rating.objects.filter(review__in=autoqa, is_na=False)
        .values("criterion__key", "criterion__name")
        .annotate(mean=Avg("score"), n=Count("pk"))
        .order_by("criterion__name")
    )


def aqs_by_agent(autoqa: QuerySet[Review]) -> list[dict[str, Any]]:
    return list(
        autoqa.values("reviewee__code", "reviewee__display_name", "reviewee__username")
        .annotate(mean=Avg("final_score"), n=Count("pk"))
        .order_by("mean")
    )


def hit_rates(autoqa: QuerySet[Review]) -> list[dict[str, Any]]:
    rows = (
        Finding.objects.filter(review__in=autoqa)
        .values("detector")
        .annotate(
            n=Count("pk"),
            hit=Count("pk", filter=Q(score__gte=Finding.HIT)),
            partial=Count("pk", filter=Q(score__gte=Finding.PARTIAL, score__lt=Finding.HIT)),
            miss=Count("pk", filter=Q(score__lt=Finding.PARTIAL)),
            na=Count("pk", filter=Q(score__isnull=True)),
        )
        .order_by("detector")
    )
    return [
        {**row, "label": detector_label(row["detector"]),
         "applies": row["n"] - row["na"]}
        for row in rows
    ]  # fmt: skip


def _rating_pairs(
    autoqa: QuerySet[Review], human: QuerySet[Review]
) -> tuple[list[tuple[int, str, float, float]], dict[str, str]]:
    """(conversation, criterion key, AutoQA's option value, a human's) for every criterion both
    rated, matched by key (stable across versions); with several human reviews, each pair
    counts. And the criterion names."""
    machine: dict[tuple[int, str], float] = {}
    names: dict[str, str] = {}
    for conversation, key, name, value in Rating.objects.filter(
        review__in=autoqa, is_na=False
    ).values_list("review__conversation_id", "criterion__key", "criterion__name", "option__value"):
        machine[conversation, key] = value
        names[key] = name
    pairs = [
        (conversation, key, machine[conversation, key], value)
        for conversation, key, value in Rating.objects.filter(
            review__in=human.filter(conversation_id__in={c for c, _ in machine}), is_na=False
        ).values_list("review__conversation_id", "criterion__key", "option__value")
        if (conversation, key) in machine
    ]
    return pairs, names


def agreement(autoqa: QuerySet[Review], human: QuerySet[Review]) -> list[CriterionAgreement]:
    """Per criterion, AutoQA's rating against the human's on the same conversations."""
    found_pairs, names = _rating_pairs(autoqa, human)
    pairs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _, key, ours, theirs in found_pairs:
        pairs[key].append((ours, theirs))
    return [
        _criterion_agreement(key, names[key], found)
        for key, found in sorted(pairs.items(), key=lambda kv: names[kv[0]])
    ]


def _criterion_agreement(
    key: str, name: str, found: list[tuple[float, float]]
) -> CriterionAgreement:
    """Agreement on one criterion's (AutoQA, human) rating pairs; precision and recall are
    of AutoQA's lowest rating, the one that sends a conversation to a person."""
    values = sorted({v for pair in found for v in pair})
    return CriterionAgreement(
        key,
        name,
        len(found),
        wilson(sum(1 for a, b in found if a == b), len(found)).scaled(100),
        ordinal_kappa(found, values),
        *_precision_recall(found, values[0]),
    )


def _precision_recall(
    found: list[tuple[float, float]], lowest: float
) -> tuple[float | None, float | None]:
    said_low = sum(1 for ours, _ in found if ours == lowest)
    truly_low = sum(1 for _, theirs in found if theirs == lowest)
    both_low = sum(1 for ours, theirs in found if ours == theirs == lowest)
    return (
        both_low / said_low if said_low else None,
        both_low / truly_low if truly_low else None,
    )


@dataclass(frozen=True)
class UnsureCheck:
    """Whether AutoQA's confidence singles out its mistakes: on conversations people also
    reviewed, the mean share of criteria where AutoQA chose the human's option (%, t interval
    over conversations, since a conversation's criteria are not independent)."""

    unsure: Estimate
    sure: Estimate

    @property
    def separates(self) -> bool:
        unsure_top, sure_bottom = self.unsure.high, self.sure.low
        return unsure_top is not None and sure_bottom is not None and unsure_top < sure_bottom


def unsure_check(autoqa: QuerySet[Review], human: QuerySet[Review]) -> UnsureCheck:
    pairs, _ = _rating_pairs(autoqa, human)
    agreed: dict[int, list[float]] = defaultdict(list)
    for conversation, _, ours, theirs in pairs:
        agreed[conversation].append(100.0 if ours == theirs else 0.0)
    confidence = dict(
        Job.objects.filter(conversation_id__in=list(agreed), confidence__isnull=False).values_list(
            "conversation_id", "confidence"
        )
    )
    shares: dict[bool, list[float]] = {True: [], False: []}
    for conversation, values in agreed.items():
        if conversation in confidence:
            unsure = confidence[conversation] < UNSURE_BELOW
            shares[unsure].append(sum(values) / len(values))
    return UnsureCheck(mean_interval(shares[True]), mean_interval(shares[False]))


def unsure_queue(conversations: QuerySet[Any], limit: int = 50) -> QuerySet[Job]:
    """Conversations AutoQA scored with low confidence that no human has reviewed yet."""
    reviewed = Review.objects.counting_toward_iqs().values("conversation_id")
    return (
        Job.objects.filter(
            status=Job.Status.DONE,
            confidence__lt=UNSURE_BELOW,
            conversation__in=conversations,
        )
        .exclude(conversation_id__in=reviewed)
        .select_related("conversation__agent")
        .order_by("confidence", "-conversation__created_at")[:limit]
    )
