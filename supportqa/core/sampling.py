"""Sample sizes and sample designs for review programmes.

`reviews_needed`: reviews per agent so that the 95 % (or other) interval of an agent's mean
score has half-width at most `margin`: n₀ = ⌈(z·σ / margin)²⌉ (Cochran 1977, eq. 4.2), and with
a finite population of N conversations n = ⌈n₀ / (1 + (n₀ − 1)/N)⌉ (eq. 4.3).
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence

from supportqa.core.intervals import _z


def reviews_needed(
    margin: float, confidence: float = 0.95, sd: float = 25.0, population: int | None = None
) -> int:
    if margin <= 0 or sd <= 0:
        raise ValueError("margin and standard deviation must be positive")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie between 0 and 1")
    z = _z(confidence)
    n0 = math.ceil((z * sd / margin) ** 2)
    if population is None:
        return n0
    if population < 1:
        raise ValueError("population must be at least 1")
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def pooled_within_sd(groups: Sequence[Sequence[float]]) -> float | None:
    """√(Σ (nᵢ − 1)sᵢ² / Σ (nᵢ − 1)): the spread of scores within an agent, pooled."""
    spreads = []
    for values in groups:
        mean = math.fsum(values) / len(values) if values else 0.0
        spreads.append((len(values), math.fsum((v - mean) ** 2 for v in values)))
    return pooled_sd(spreads)


def pooled_sd(spreads: Iterable[tuple[int, float]]) -> float | None:
    """`pooled_within_sd` from each group's n and Σ(y − ȳ)² (groups of fewer than two add
    nothing)."""
    kept = [(n, squares) for n, squares in spreads if n >= 2]
    freedom = sum(n - 1 for n, _ in kept)
    return math.sqrt(math.fsum(squares for _, squares in kept) / freedom) if freedom else None


# --- sample designs: every pick carries its inclusion probability π -----------------------------

Pick = tuple[Hashable, float]  # (item, inclusion probability)


def random_sample(items: Sequence[Hashable], size: int, rng: random.Random) -> list[Pick]:
    """Simple random sample without replacement: π = size / N for every item."""
    if size <= 0 or not items:
        return []
    size = min(size, len(items))
    probability = size / len(items)
    return [(item, probability) for item in rng.sample(list(items), size)]


def stratified_sample(
    strata: Mapping[Hashable, Sequence[Hashable]], per_stratum: int, rng: random.Random
) -> list[Pick]:
    """`per_stratum` picks from every stratum (agent, channel, category…): π = n_h / N_h."""
    picks: list[Pick] = []
    for key in sorted(strata, key=str):
        picks.extend(random_sample(strata[key], per_stratum, rng))
    return picks


def targeted_sample(
    flagged: Sequence[Hashable], others: Sequence[Hashable], size: int, rng: random.Random
) -> list[Pick]:
    """Every flagged item (low CSAT, long handling, …) with π = 1, plus a random sample of the
    rest so that unflagged conversations stay represented; their π keeps IQS unbiased."""
    return [(item, 1.0) for item in flagged] + random_sample(others, size, rng)


def split_fairly(
    picks: Sequence[tuple[Hashable, Hashable | None]], quotas: Mapping[Hashable, int]
) -> dict[Hashable, list[Hashable]]:
    """Give each pick (item, its agent) to the reviewer with the most quota left relative to
    their quota, never to the agent themselves; picks nobody can take are left out.

    Deterministic: ties go to the reviewer listed first in `quotas`.
    """
    given: dict[Hashable, list[Hashable]] = {reviewer: [] for reviewer in quotas}
    order = list(quotas)
    for item, agent in picks:
        open_ = [r for r in order if r != agent and len(given[r]) < quotas[r]]
        if not open_:
            continue
        reviewer = max(
            open_, key=lambda r: ((quotas[r] - len(given[r])) / quotas[r], -order.index(r))
        )
        given[reviewer].append(item)
    return given
