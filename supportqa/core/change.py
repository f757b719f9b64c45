"""Did a metric change? The difference between a period after and a period before, with its
interval, and what may honestly be said of it.

Shares: Newcombe's hybrid score interval for a difference of two proportions (Newcombe 1998,
"Interval estimation for the difference between independent proportions", Statistics in
Medicine 17:873–890, method 10), built from the two Wilson intervals; it stays inside
[−1, 1] and behaves at small n where the Wald difference does not.
Means: Welch's interval, the standard errors recovered from each period's t interval and the
degrees of freedom by Welch–Satterthwaite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from supportqa.core.intervals import Estimate, _t, wilson


def difference_of_shares(
    after_successes: int, after_n: int, before_successes: int, before_n: int,
    confidence: float = 0.95,
) -> Estimate:  # fmt: skip
    """after − before of two proportions, with Newcombe's hybrid score interval; n is the
    smaller of the two counts (no value when either period has none)."""
    after, before = (
        wilson(after_successes, after_n, confidence),
        wilson(before_successes, before_n, confidence),
    )
    if after.value is None or before.value is None:
        return Estimate(None, min(after_n, before_n))
    assert after.low is not None and after.high is not None
    assert before.low is not None and before.high is not None
    difference = after.value - before.value
    low = difference - math.hypot(after.value - after.low, before.high - before.value)
    high = difference + math.hypot(after.high - after.value, before.value - before.low)
    return Estimate(difference, min(after_n, before_n), low, high)


def difference_of_means(after: Estimate, before: Estimate, confidence: float = 0.95) -> Estimate:
    """after − before of two means given as t intervals (Welch)."""
    if after.value is None or before.value is None:
        return Estimate(None, min(after.n, before.n))
    if not (after.has_interval and before.has_interval) or after.n < 2 or before.n < 2:
        return Estimate(after.value - before.value, min(after.n, before.n))
    errors = []
    for estimate in (after, before):
        assert estimate.high is not None and estimate.low is not None
        assert estimate.value is not None
        # The wider side: an interval clipped at a scale's end (IQS at 100) keeps the other.
        half = max(estimate.high - estimate.value, estimate.value - estimate.low)
        errors.append(half / _t(confidence, estimate.n - 1))
    variance = errors[0] ** 2 + errors[1] ** 2
    difference = after.value - before.value
    if variance == 0:  # no spread in either period: no interval to speak from
        return Estimate(difference, min(after.n, before.n))
    degrees = variance**2 / (errors[0] ** 4 / (after.n - 1) + errors[1] ** 4 / (before.n - 1))
    half = _t(confidence, max(1, math.floor(degrees))) * math.sqrt(variance)
    return Estimate(difference, min(after.n, before.n), difference - half, difference + half)


@dataclass(frozen=True)
class Verdict:
    label: str  # "improved", "worsened", "no detectable change", "not enough data"
    difference: Estimate


def verdict(difference: Estimate, *, higher_is_better: bool = True) -> Verdict:
    """Improved or worsened only when the interval excludes zero; "no detectable change"
    when it includes zero; "not enough data" without an interval."""
    if difference.value is None or difference.low is None or difference.high is None:
        return Verdict("not enough data", difference)
    if difference.low <= 0 <= difference.high:
        return Verdict("no detectable change", difference)
    up = difference.low > 0
    return Verdict("improved" if up == higher_is_better else "worsened", difference)
