"""A scorecard's validity beside it: each criterion's spread, and which criteria predict the
customer's outcome. Queries here; the statistics in `supportqa.core.validity`.

Ratings come from the reviews counting toward IQS on any version of the scorecard, matched by
criterion key; a criterion's score runs 0–1 from its lowest to its highest option (a
conversation reviewed twice takes the mean). Outcomes, per reviewed conversation:
satisfied (its latest CSAT answer in the top two options), reopened and resolved at first
contact (both among the resolved ones, by the dashboards' rules).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, QuerySet

from supportqa.conversations.models import Conversation
from supportqa.core import validity
from supportqa.core.kpis import csat_is_satisfied
from supportqa.reports.rollups import first_contact, resolved
from supportqa.reviews.models import Rating, Review
from supportqa.scorecards.models import Criterion, Scorecard
from supportqa.surveys.models import SurveyResponse

OUTCOMES = {
    "satisfied": "Satisfied (CSAT)",
    "reopened": "Reopened",
    "first_contact": "Resolved at first contact",
}


@dataclass(frozen=True)
class CriterionRow:
    key: str
    name: str
    spread: validity.Spread
    effects: dict[str, validity.Effect | None]  # outcome → effect (None: not in the model)


@dataclass(frozen=True)
class Validity:
    scorecard: Scorecard
    rows: list[CriterionRow]
    models: dict[str, validity.Prediction]


def scorecard_validity(scorecard: Scorecard) -> Validity:
    criteria = _current_criteria(scorecard)
    reviewed = Review.objects.counting_toward_iqs().filter(scorecard_version__scorecard=scorecard)
    values, scores = _ratings(reviewed)
    spreads = {c.key: validity.spread(values.get(c.key, []), *c.scale_bounds()) for c in criteria}
    used = [k for k, s in spreads.items() if s.verdict not in ("never discriminates", "no ratings")]
    models = {
        name: validity.predict(name, [(scores[c], known[c]) for c in scores if c in known], used)
        for name, known in _outcomes(reviewed.values("conversation_id")).items()
    }
    rows = [
        CriterionRow(
            c.key,
            c.name,
            spreads[c.key],
            {name: _effect(model, c.key) for name, model in models.items()},
        )
        for c in criteria
    ]
    return Validity(scorecard, rows, models)


def _current_criteria(scorecard: Scorecard) -> list[Criterion]:
    version = scorecard.current_version()
    if version is None:
        return []
    return list(
        Criterion.objects.filter(section__version=version)
        .prefetch_related("options")
        .order_by("section__position", "position")
    )


def _effect(model: validity.Prediction, key: str) -> validity.Effect | None:
    return next((e for e in model.effects if e.criterion == key), None)


def _ratings(
    reviewed: QuerySet[Review],
) -> tuple[dict[str, list[float]], dict[int, dict[str, float]]]:
    """Option values per criterion key, and each conversation's mean 0–1 score per key."""
    values: dict[str, list[float]] = defaultdict(list)
    sums: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    rows = Rating.objects.filter(review__in=reviewed, is_na=False).values_list(
        "review__conversation_id", "criterion__key", "option__value", "score"
    )
    for conversation, key, value, score in rows:
        values[key].append(value)
        sums[conversation][key].append(score / 100)
    scores = {
        conversation: {key: sum(v) / len(v) for key, v in by_key.items()}
        for conversation, by_key in sums.items()
    }
    return values, scores


def _outcomes(conversation_ids: QuerySet[Any]) -> dict[str, dict[int, bool]]:
    """Per outcome, the conversations where it is known and whether it happened."""
    satisfied: dict[int, bool] = {}
    for conversation, csat, scale in (
        SurveyResponse.objects.filter(conversation_id__in=conversation_ids, csat__isnull=False)
        .order_by("answered_at")
        .values_list("conversation_id", "csat", "csat_scale")
    ):
        satisfied[conversation] = csat_is_satisfied(csat, scale)  # the latest answer wins
    reopened: dict[int, bool] = {}
    first: dict[int, bool] = {}
    for pk, reopen_count, at_first in (
        Conversation.objects.filter(resolved(), pk__in=conversation_ids)
        .annotate(at_first=ExpressionWrapper(first_contact(), output_field=BooleanField()))
        .values_list("pk", "reopen_count", "at_first")
    ):
        reopened[pk] = reopen_count > 0
        first[pk] = bool(at_first)
    return {"satisfied": satisfied, "reopened": reopened, "first_contact": first}
