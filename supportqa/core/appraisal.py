"""Fair comparisons of agents: shrinkage for small samples, and labels only where the
interval allows them.

`shrink` is Morris's (1983) parametric empirical Bayes for normal means with known sampling
variances vᵢ = σ²/nᵢ:
1. Between-agent variance τ² and grand mean μ solve μ = Σwᵢyᵢ/Σwᵢ and
   τ² = max(0, Σwᵢ²[k/(k−1)·(yᵢ − μ)² − vᵢ] / Σwᵢ²) with wᵢ = 1/(vᵢ + τ²), by fixed-point
   iteration from τ² = 0.
2. Shrinkage Bᵢ = (k − 3)/(k − 1) · vᵢ/(vᵢ + τ²), clipped to [0, 1]; estimate μ + (1 − Bᵢ)(yᵢ − μ).
With equal nᵢ this is exactly the James–Stein estimator B = (k − 3)σ²/Σ(yᵢ − ȳ)²
(Efron & Morris 1975). Fewer than four agents: no shrinkage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from supportqa.core.intervals import Estimate, _z


def shrink(
    means: Sequence[float],
    counts: Sequence[int],
    within_variance: float,
) -> list[float]:
    k = len(means)
    if k != len(counts) or any(n < 1 for n in counts):
        raise ValueError("every mean needs a count of at least 1")
    if k < 4 or within_variance <= 0:
        return list(means)
    v = [within_variance / n for n in counts]
    tau2 = _between_variance(means, v)
    mu = _weighted_mean(means, [1 / (vi + tau2) for vi in v])
    factor = (k - 3) / (k - 1)
    return [
        mu + (1 - min(1.0, factor * vi / (vi + tau2))) * (y - mu)
        for y, vi in zip(means, v, strict=True)
    ]


def _between_variance(means: Sequence[float], v: Sequence[float]) -> float:
    """Step 1: τ² by fixed-point iteration from 0."""
    tau2 = 0.0
    for _ in range(200):
        updated = _next_tau2(means, v, tau2)
        converged = abs(updated - tau2) <= 1e-12 * max(1.0, tau2)
        tau2 = updated
        if converged:
            break
    return tau2


def _next_tau2(means: Sequence[float], v: Sequence[float], tau2: float) -> float:
    k = len(means)
    w = [1 / (vi + tau2) for vi in v]
    mu = _weighted_mean(means, w)
    numerator = sum(
        wi * wi * (k / (k - 1) * (y - mu) ** 2 - vi) for wi, y, vi in zip(w, means, v, strict=True)
    )
    return max(0.0, numerator / sum(wi * wi for wi in w))


def _weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    return sum(wi * y for wi, y in zip(weights, values, strict=True)) / sum(weights)


@dataclass(frozen=True)
class Comparison:
    label: str  # "above", "below", or "insufficient data"
    more_reviews: int | None = None  # roughly how many more would settle it; None if never


MORE_REVIEWS_AT_MOST = 200


def compare(
    estimate: Estimate, reference: float, sd: float | None, confidence: float = 0.95
) -> Comparison:
    """Above or below a reference only when the interval excludes it; otherwise how many more
    reviews would make an interval of this spread exclude it (n = (z·s/|mean − reference|)²)."""
    if estimate.value is None or estimate.low is None or estimate.high is None:
        gap = None
    elif estimate.low > reference:
        return Comparison("above")
    elif estimate.high < reference:
        return Comparison("below")
    else:
        gap = abs(estimate.value - reference)
    if gap is None or not gap or not sd:
        return Comparison("insufficient data")
    z = _z(confidence)
    needed = math.ceil((z * sd / gap) ** 2) - estimate.n
    # Level with the reference: the count would be absurd (hundreds of thousands when the
    # mean equals it to a decimal); no number of reviews a team can give would settle it.
    return Comparison(
        "insufficient data", max(1, needed) if needed <= MORE_REVIEWS_AT_MOST else None
    )


def source_gaps(means: Mapping[str, Mapping[str, float]]) -> dict[str, float | None]:
    """How far each source of a 360° view sits from the others: per source, the mean over the
    criteria it rated (where another source rated too) of its mean score minus the mean of
    the other sources' means on that criterion. `means`: criterion → source → mean score.
    Positive: the source rates higher than the others (e.g. a generous self-assessment)."""
    gaps: dict[str, list[float]] = {}
    for by_source in means.values():
        for source, value in by_source.items():
            others = [v for s, v in by_source.items() if s != source]
            gaps.setdefault(source, [])
            if others:
                gaps[source].append(value - sum(others) / len(others))
    return {s: (sum(g) / len(g) if g else None) for s, g in gaps.items()}


@dataclass(frozen=True)
class Areas:
    """An agent's criteria against the expected level: strengths (the whole 95% interval at
    or above it), below expectation (the whole interval below it), and the rest, which the
    data cannot place yet. Each list is (name, estimate), the clearest first."""

    strengths: list[tuple[str, Estimate]]
    below: list[tuple[str, Estimate]]
    unclear: list[tuple[str, Estimate]]


def areas(criteria: Sequence[tuple[str, Estimate]], expected: float, minimum: int = 5) -> Areas:
    """Place each criterion's mean score (0–100, with its interval) against `expected` (the
    pass mark): a strength when the whole interval lies above it, below expectation when the
    whole interval lies below it. A criterion with fewer than `minimum` ratings stays unclear,
    as does one whose interval touches the mark (every rating at the mark has no width). The
    caller chooses the intervals' confidence: for k criteria at once, 1 − 0.05/k (Bonferroni)
    keeps the chance of any false placement at 5%."""
    strengths, below, unclear = [], [], []
    for name, estimate in criteria:
        if estimate.n < minimum:
            unclear.append((name, estimate))
        elif estimate.low is not None and estimate.low > expected:
            strengths.append((name, estimate))
        elif estimate.high is not None and estimate.high < expected:
            below.append((name, estimate))
        else:
            unclear.append((name, estimate))
    strengths.sort(key=lambda item: -(item[1].low or 0.0))
    below.sort(key=lambda item: item[1].high or 0.0)
    return Areas(strengths, below, unclear)
