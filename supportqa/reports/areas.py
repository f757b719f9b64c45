"""An agent's strengths and areas below expectation: their criteria placed against the
expected level (core.appraisal.areas: only where the interval allows), each with example
conversations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from supportqa.core.appraisal import areas
from supportqa.core.intervals import Estimate, mean_interval_from_sums
from supportqa.reports.metrics import CriterionSums, scored_reviews
from supportqa.reports.periods import Period
from supportqa.reviews.models import Rating, Review
from supportqa.scorecards.models import default_pass_threshold

EXAMPLES = 2


@dataclass
class Area:
    name: str
    estimate: Estimate
    examples: list[Any] = field(default_factory=list)  # ratings, with review and conversation


@dataclass
class Placed:
    expected: float
    confidence: float  # of the intervals shown (Bonferroni over the criteria)
    strengths: list[Area]
    below: list[Area]
    unclear: list[str]

    @property
    def confidence_percent(self) -> str:
        return f"{self.confidence * 100:.1f}%"


def placed(reviews: QuerySet[Review], period: Period, rows: CriterionSums) -> Placed:
    """Strengths (the conversations rated best on them) and areas below expectation (the
    conversations rated worst), from the reviews that count toward IQS in the period (`rows`:
    their `criterion_sums`); the intervals at 1 − 0.05/k for the k criteria placed at once
    (Bonferroni)."""
    confidence = 1 - 0.05 / max(1, len(rows))
    estimates = {
        name: (scorecard, key, mean_interval_from_sums(n, total, squares, confidence))
        for scorecard, key, name, n, total, squares in rows
    }
    expected = default_pass_threshold()
    placed = areas([(name, e) for name, (_, _, e) in estimates.items()], expected)
    wanted = {estimates[n][1] for n, _ in placed.strengths + placed.below}
    # The agent's reviews in the period first (an index range), then their ratings of those
    # criteria by review id, latest review first (sorted here: as a subquery, or joined back to
    # the reviews for their order, the planner read every review or rating). Only the
    # examples shown are loaded whole: three queries however many areas and ratings.
    reviewed = dict(
        scored_reviews(reviews, period).values_list("pk", "submitted_at") if wanted else []
    )
    ratings = sorted(
        Rating.objects.filter(review_id__in=list(reviewed), criterion__key__in=wanted, is_na=False)
        .values_list(
            "pk",
            "review_id",
            "criterion__section__version__scorecard__name",
            "criterion__key",
            "score",
        )
        .order_by(),
        key=lambda r: (reviewed[r[1]], r[0]),
        reverse=True,
    )

    by_criterion: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for pk, _, card, key, score in ratings:  # latest first within each criterion
        by_criterion[card, key].append((pk, score))

    def picked(name: str, top: bool) -> list[int]:
        scorecard, key, _ = estimates[name]
        mine = sorted(  # stable: latest first on ties
            by_criterion[scorecard, key], key=lambda r: -r[1] if top else r[1]
        )
        return [pk for pk, _ in mine[:EXAMPLES]]

    chosen = {
        (name, good): picked(name, good)
        for names, good in ((placed.strengths, True), (placed.below, False))
        for name, _ in names
    }
    shown = Rating.objects.select_related(
        "review__conversation", "option", "criterion__section__version__scorecard"
    ).in_bulk([pk for pks in chosen.values() for pk in pks])

    def examples(name: str, good: bool) -> list[Any]:
        return [shown[pk] for pk in chosen[name, good]]

    return Placed(
        expected=expected,
        confidence=confidence,
        strengths=[Area(n, e, examples(n, True)) for n, e in placed.strengths],
        below=[Area(n, e, examples(n, False)) for n, e in placed.below],
        unclear=[n for n, _ in placed.unclear],
    )
