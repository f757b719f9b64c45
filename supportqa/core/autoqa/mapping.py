"""From detectors to scorecard criteria: which detectors inform which criterion of the
default scorecards, how their results combine into a criterion's rating, and the rating
option nearest to a score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from supportqa.core.autoqa.detectors import DetectorResult
from supportqa.core.autoqa.text import Evidence

# Which detectors inform which criterion, per default scorecard (slug → criterion key →
# detectors). Criteria left out (e.g. accuracy of information) need a human.
DEFAULT_MAPPING: dict[str, dict[str, tuple[str, ...]]] = {
    "chat-quality": {
        "response-time": ("response_time",),
        "clarity": ("readability", "spelling"),
        "tone": ("politeness", "name", "gratitude"),
        "understanding": ("understanding",),
        "resolution": ("resolution",),
        "personalization": ("personalization",),
        "follow-up": ("follow_up",),
        "compliance": ("compliance",),
    },
    "response-check": {
        "language": ("spelling", "readability"),
        "politeness": ("politeness", "empathy"),
        "guidelines": ("compliance",),
        "issue-resolution": ("resolution",),
    },
    "overall-handling": {
        "overall": ("politeness", "resolution", "response_time", "follow_up", "compliance"),
    },
}


@dataclass(frozen=True)
class CriterionRating:
    criterion: str
    score: float | None  # 0–100, or None: not applicable
    confidence: float
    findings: tuple[DetectorResult, ...]

    @property
    def explanation(self) -> str:
        return " ".join(f.explanation for f in self.findings)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(e for f in self.findings for e in f.evidence)


def score_criteria(
    findings: Mapping[str, DetectorResult], mapping: Mapping[str, Sequence[str]]
) -> dict[str, CriterionRating]:
    """Each mapped criterion's score: the confidence-weighted mean of its detectors' scores,
    0–100; None when none of them applies. Its confidence is their mean confidence."""
    out = {}
    for criterion, names in mapping.items():
        used = tuple(findings[n] for n in names if n in findings)
        applicable = [f for f in used if f.score is not None]
        if not applicable:
            out[criterion] = CriterionRating(criterion, None, 1.0, used)
            continue
        weight = sum(f.confidence for f in applicable)
        score = sum(f.score * f.confidence for f in applicable if f.score is not None) / weight
        confidence = weight / len(applicable)
        out[criterion] = CriterionRating(criterion, 100 * score, confidence, used)
    return out


def nearest_option(score: float, option_values: Sequence[float]) -> int:
    """Index of the rating option whose value (0–100) is closest to the score; ties go to the
    lower value (the stricter rating)."""
    return min(
        range(len(option_values)), key=lambda i: (abs(option_values[i] - score), option_values[i])
    )
