"""Review score math (PRODUCT.md §5).

1. Criterion score = (value − scale minimum) / (scale maximum − scale minimum) × 100.
2. Section score = Σ(weight × criterion score) / Σ weight over the section's rated criteria;
   N/A criteria leave both numerator and denominator.
3. Raw score = Σ(section weight × section score) / Σ section weight over sections with at
   least one rated criterion. With a single section this is the plain weighted mean.
4. Final score = 0 when any critical criterion scores below 50, else the raw score.

Example documented by MaestroQA: 16 of 30 available points with a 5-point criterion N/A is
16/30 = 53.3 %, not (16 + 5)/35.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CRITICAL_FAIL_BELOW = 50.0
# Colour bands of a score on pages: "good" from the pass threshold, "poor" below this.
POOR_BELOW = 50.0


class ScoringError(ValueError):
    pass


@dataclass(frozen=True)
class CriterionRating:
    key: str
    value: float | None  # None means N/A
    scale_min: float = 0.0
    scale_max: float = 100.0
    weight: float = 1.0
    critical: bool = False
    section: str = ""


@dataclass(frozen=True)
class ReviewScore:
    raw: float | None
    final: float | None
    critical_failed: bool
    criterion_scores: dict[str, float | None] = field(default_factory=dict)
    section_scores: dict[str, float | None] = field(default_factory=dict)


def criterion_score(value: float, scale_min: float, scale_max: float) -> float:
    if scale_max <= scale_min:
        raise ScoringError(f"scale maximum {scale_max} must exceed minimum {scale_min}")
    if not scale_min <= value <= scale_max:
        raise ScoringError(f"value {value} is outside the scale {scale_min}–{scale_max}")
    return (value - scale_min) / (scale_max - scale_min) * 100.0


def passed(final_score: float, threshold: float) -> bool:
    """A review passes when its final score reaches the threshold (inclusive)."""
    return final_score >= threshold


def score_band(score: float | None, threshold: float) -> str:
    """The colour band of a score: good (passes), mid, poor (below POOR_BELOW), or none."""
    if score is None:
        return "none"
    if passed(score, threshold):
        return "good"
    return "mid" if score >= POOR_BELOW else "bad"


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Σ w·x / Σ w over (weight, value) pairs; None when the total weight is zero."""
    total_weight = 0.0
    total = 0.0
    for weight, value in pairs:
        if weight < 0:
            raise ScoringError(f"weight {weight} is negative")
        total_weight += weight
        total += weight * value
    return total / total_weight if total_weight > 0 else None


def review_score(
    ratings: Iterable[CriterionRating],
    section_weights: Mapping[str, float] | None = None,
) -> ReviewScore:
    scores, by_section, critical_failed = _criterion_scores(ratings)
    section_scores = {name: weighted_mean(pairs) for name, pairs in by_section.items()}
    weights = section_weights or {}
    raw = weighted_mean(
        (weights.get(name, 1.0), score)
        for name, score in section_scores.items()
        if score is not None
    )
    final = None if raw is None else (0.0 if critical_failed else raw)
    return ReviewScore(raw, final, critical_failed and raw is not None, scores, section_scores)


def _criterion_scores(
    ratings: Iterable[CriterionRating],
) -> tuple[dict[str, float | None], dict[str, list[tuple[float, float]]], bool]:
    """Steps 1 and 4: each criterion's score (None for N/A), the (weight, score) pairs of each
    section's rated criteria, and whether a critical criterion failed."""
    scores: dict[str, float | None] = {}
    by_section: dict[str, list[tuple[float, float]]] = {}
    critical_failed = False
    for rating in ratings:
        by_section.setdefault(rating.section, [])
        if rating.value is None:
            scores[rating.key] = None
            continue
        score = criterion_score(rating.value, rating.scale_min, rating.scale_max)
        scores[rating.key] = score
        by_section[rating.section].append((rating.weight, score))
        critical_failed = critical_failed or (rating.critical and score < CRITICAL_FAIL_BELOW)
    return scores, by_section, critical_failed
