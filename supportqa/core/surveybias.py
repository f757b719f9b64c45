"""Survey non-response: reweight CSAT to the population of conversations.

Post-stratification (Lohr, *Sampling: Design and Analysis*, §4.4): with strata h (channel ×
category × resolution outcome) holding N_h conversations, of whose surveys n_h were answered
and a_h were satisfied, the adjusted share is Σ_h W_h·p_h with W_h = N_h/N over strata that
have answers and p_h = a_h/n_h; its variance Σ_h W_h²·p_h(1 − p_h)/n_h (normal interval).
Strata without any answer cannot be represented: their share of N is reported as uncovered.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from scipy import stats

from supportqa.core.intervals import Estimate, clip, wilson


@dataclass(frozen=True)
class Stratum:
    key: Hashable
    population: int  # conversations
    sent: int  # surveys sent
    answered: int
    satisfied: int

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None


@dataclass(frozen=True)
class Reweighted:
    raw: Estimate  # share satisfied among answers, Wilson interval
    adjusted: Estimate  # post-stratified share, normal interval
    uncovered: float  # share of conversations in strata without answers


def post_stratified_share(strata: Sequence[Stratum], confidence: float = 0.95) -> Reweighted:
    _check_counts(strata)
    raw = wilson(sum(s.satisfied for s in strata), sum(s.answered for s in strata))
    total = sum(s.population for s in strata)
    covered = [s for s in strata if s.answered and s.population]
    covered_population = sum(s.population for s in covered)
    if not covered_population:
        return Reweighted(raw, Estimate(None, 0), 1.0 if total else 0.0)
    adjusted = _post_stratified_estimate(covered, covered_population, confidence)
    return Reweighted(raw, adjusted, 1 - covered_population / total)


def _check_counts(strata: Sequence[Stratum]) -> None:
    for s in strata:
        if not 0 <= s.satisfied <= s.answered or s.population < 0:
            raise ValueError(f"stratum {s.key!r}: counts are inconsistent")


def _post_stratified_estimate(
    covered: Sequence[Stratum], covered_population: int, confidence: float
) -> Estimate:
    """Σ_h W_h·p_h over strata with answers, with a normal interval from its variance
    Σ_h W_h²·p_h(1 − p_h)/n_h."""
    share = 0.0
    variance = 0.0
    for s in covered:
        weight = s.population / covered_population
        p = s.satisfied / s.answered
        share += weight * p
        variance += weight * weight * p * (1 - p) / s.answered
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * math.sqrt(variance)
    n = sum(s.answered for s in covered)
    return clip(Estimate(share, n, share - half, share + half), 0.0, 1.0)
