"""An agent's strengths and areas below expectation: their criteria placed against the
expected level (core.appraisal.areas: only where the interval allows), each with example
conversations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from supportqa.core.appraisal import areas
from supportqa.core.intervals import Estimate
from supportqa.reports.metrics import criterion_rows, scored_reviews
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
    strengths: list[Area]
    below: list[Area]
    unclear: list[str]


def placed(reviews: QuerySet[Review], period: Period) -> Placed:
    """Strengths (the conversations rated best on them) and areas below expectation (the
    conversations rated worst), from the reviews that count toward IQS in the period."""
    rows = criterion_rows(reviews, period)
    keys = {name: key for key, name, _ in rows}
    expected = default_pass_threshold()
    placed = areas([(name, estimate) for _, name, estimate in rows], expected)
    wanted = {keys[n] for n, _ in placed.strengths + placed.below}
    ratings = list(
        Rating.objects.filter(
            review__in=scored_reviews(reviews, period), criterion__key__in=wanted, is_na=False
        )
        .select_related("review__conversation", "option", "criterion")
        .order_by("-review__submitted_at")
    )  # one query however many areas: the agent's ratings of those criteria in the period

    def examples(name: str, best: bool) -> list[Any]:
        mine = [r for r in ratings if r.criterion.key == keys[name]]
        mine.sort(key=lambda r: -r.score if best else r.score)  # stable: latest first on ties
        return mine[:EXAMPLES]

    return Placed(
        expected=expected,
        strengths=[Area(n, e, examples(n, True)) for n, e in placed.strengths],
        below=[Area(n, e, examples(n, False)) for n, e in placed.below],
        unclear=[n for n, _ in placed.unclear],
    )
