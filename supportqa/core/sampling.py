"""Sample sizes for review programmes.

`reviews_needed`: reviews per agent so that the 95 % (or other) interval of an agent's mean
score has half-width at most `margin`: n₀ = ⌈(z·σ / margin)²⌉ (Cochran 1977, eq. 4.2), and with
a finite population of N conversations n = ⌈n₀ / (1 + (n₀ − 1)/N)⌉ (eq. 4.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats


def reviews_needed(
    margin: float, confidence: float = 0.95, sd: float = 25.0, population: int | None = None
) -> int:
    if margin <= 0 or sd <= 0:
        raise ValueError("margin and standard deviation must be positive")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie between 0 and 1")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    n0 = math.ceil((z * sd / margin) ** 2)
    if population is None:
        return n0
    if population < 1:
        raise ValueError("population must be at least 1")
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def pooled_within_sd(groups: Sequence[Sequence[float]]) -> float | None:
    """√(Σ (nᵢ − 1)sᵢ² / Σ (nᵢ − 1)): the spread of scores within an agent, pooled."""
    squares = 0.0
    freedom = 0
    for values in groups:
        if len(values) < 2:
            continue
        mean = math.fsum(values) / len(values)
        squares += math.fsum((v - mean) ** 2 for v in values)
        freedom += len(values) - 1
    return math.sqrt(squares / freedom) if freedom else None
