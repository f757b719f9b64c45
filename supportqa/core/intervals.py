"""Point estimates with sample size and a confidence interval.

Means use Student's t interval; proportions use Wilson's score interval (Wilson 1927),
which stays inside [0, 1] and behaves at small n where the Wald interval does not.
Weighted means use the Hájek ratio estimator Σw·y / Σw with the linearised variance
n/(n−1) · Σ w²(y − ȳ)² / (Σw)² (Särndal, Swensson & Wretman 1992, §5.7).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class Estimate:
    value: float | None
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None

    def scaled(self, factor: float) -> Estimate:
        def scale(x: float | None) -> float | None:
            return None if x is None else x * factor

        return Estimate(scale(self.value), self.n, scale(self.low), scale(self.high))

    @property
    def percent(self) -> Estimate:
        """A share (0–1) as percentages, for display."""
        return self.scaled(100)


EMPTY = Estimate(None, 0)


@functools.lru_cache(maxsize=64)
def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


@functools.lru_cache(maxsize=4096)
def _t(confidence: float, degrees: int) -> float:
    """Student's t quantile; a page asks for the same few dozen many times (scipy's ppf
    costs about 0.15 ms a call)."""
    return float(stats.t.ppf(0.5 + confidence / 2, degrees))


def wilson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    if n == 0:
        return EMPTY
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, n, max(0.0, centre - half), min(1.0, centre + half))


def _t_estimate(mean: float, variance: float, n: int, confidence: float) -> Estimate:
    if n == 1:
        return Estimate(mean, 1)
    half = _t(confidence, n - 1) * math.sqrt(max(variance, 0.0) / n)
    return Estimate(mean, n, mean - half, mean + half)


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    n = len(values)
    if n == 0:
        return EMPTY
    mean = math.fsum(values) / n
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return _t_estimate(mean, variance, n, confidence)


def mean_interval_from_sums(
    n: int, total: float, total_of_squares: float, confidence: float = 0.95
) -> Estimate:
    """The t interval from n, Σx and Σx², as a database aggregates them.

    Fine for small integer scales (CES, CSAT); for wide-ranging values prefer `mean_interval`,
    whose two-pass variance does not lose precision.
    """
    if n == 0:
        return EMPTY
    mean = total / n
    variance = beyond_rounding(total_of_squares - total * total / n, total_of_squares, n)
    return _t_estimate(mean, variance / (n - 1) if n > 1 else 0.0, n, confidence)


def beyond_rounding(difference: float, scale: float, n: int) -> float:
    """A sum of squares computed as a difference of sums (Σy² − (Σy)²/n), or 0 where it is
    within the rounding error of adding n terms of size `scale`: equal values give an
    interval of width 0, as the two-pass formula does, instead of one of rounding noise."""
    return difference if difference > 4 * n * sys.float_info.epsilon * abs(scale) else 0.0


def weighted_mean_interval(
    values: Sequence[float], weights: Sequence[float], confidence: float = 0.95
) -> Estimate:
    n = len(values)
    if n != len(weights):
        raise ValueError("values and weights differ in length")
    if n == 0:
        return EMPTY
    if any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    total = math.fsum(weights)
    mean = math.fsum(w * v for w, v in zip(weights, values, strict=True)) / total
    if n == 1:
        return Estimate(mean, 1)
    spread = math.fsum((w * (v - mean)) ** 2 for w, v in zip(weights, values, strict=True))
    se = math.sqrt(n / (n - 1) * spread) / total
    half = _t(confidence, n - 1) * se
    return Estimate(mean, n, mean - half, mean + half)


def weighted_mean_interval_from_sums(
    n: int,
    weights: float,
    weighted: float,
    weight_squares: float,
    weighted_by_squares: float,
    squares_by_squares: float,
    confidence: float = 0.95,
) -> Estimate:
    """`weighted_mean_interval` from n, Σw, Σw·y, Σw², Σw²·y and Σw²·y², as a database
    aggregates them: Σ w²(y − ȳ)² = Σw²y² − 2ȳ·Σw²y + ȳ²·Σw²."""
    if n == 0:
        return EMPTY
    mean = weighted / weights
    if n == 1:
        return Estimate(mean, 1)
    spread = beyond_rounding(
        squares_by_squares - 2 * mean * weighted_by_squares + mean * mean * weight_squares,
        squares_by_squares,
        n,
    )
    se = math.sqrt(n / (n - 1) * spread) / weights
    half = _t(confidence, n - 1) * se
    return Estimate(mean, n, mean - half, mean + half)


def clip(estimate: Estimate, low: float, high: float) -> Estimate:
    def bound(x: float | None) -> float | None:
        return None if x is None else min(high, max(low, x))

    return Estimate(estimate.value, estimate.n, bound(estimate.low), bound(estimate.high))
