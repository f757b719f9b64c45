"""Contact volume by hour: a forecast with prediction intervals, and its backtest.

Model (a log-linear count regression, fitted with statsmodels):
    log E[y_t] = a + b·weeks(t) + d_{day of week(t)} + h_{hour of day(t), weekend(t)},
the planners' "daily volume × intraday profile": a linear trend, an effect per day of the week,
and an intraday profile for working days and one for weekends (each hour's effect is then
estimated from every working day, or every weekend day, not from one hour a week). The effects
are shrunk toward zero by a small ridge penalty, so an hour always seen empty is forecast low,
not at minus infinity. Counts vary more than a Poisson count would
(busy and quiet days), so each hour's prediction interval comes from a negative binomial with
the fitted mean and a dispersion α estimated from the residuals by moments,
α = Σ((y − μ)² − μ) / Σμ² (0 when the counts are no more spread than Poisson). The interval
leaves out the uncertainty of the fitted mean itself; the backtest measures whether the
intervals hold (their coverage) on weeks the model has not seen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from scipy import stats

WEEK = 168
MINIMUM_WEEKS = 2
RIDGE = 1e-3  # penalty per observation on the coefficients (the hour effects)


@dataclass(frozen=True)
class Hour:
    at: datetime
    mean: float
    low: int
    high: int


@dataclass(frozen=True)
class Backtest:
    hours: int
    daily_mape: float | None  # mean |actual − forecast| / actual over days with contacts, %
    hourly_wape: float | None  # Σ|actual − forecast| / Σ actual over the hours, %
    coverage: float  # share of hours whose count fell inside the interval


def hourly_counts(timestamps: Sequence[datetime], start: datetime, hours: int) -> list[int]:
    """Contacts per hour from `start` (on the hour) for `hours` hours."""
    counts = [0] * hours
    for moment in timestamps:
        index = math.floor((moment - start).total_seconds() / 3600)
        if 0 <= index < hours:
            counts[index] += 1
    return counts


def forecast(
    counts: Sequence[int], start: datetime, horizon: int = WEEK, confidence: float = 0.95
) -> list[Hour]:
    """The next `horizon` hours after the history `counts` (hourly, from `start`, which must
    fall on the hour)."""
    if len(counts) < MINIMUM_WEEKS * WEEK:
        raise ValueError(f"a forecast needs at least {MINIMUM_WEEKS} weeks of hourly history")
    if any(c < 0 for c in counts):
        raise ValueError("counts cannot be negative")
    history = np.asarray(counts, dtype=float)
    offset = _hour_of_week(start)
    fitted, coefficients = _fit(history, offset)
    alpha = _dispersion(history, fitted)
    future = np.arange(len(history), len(history) + horizon)
    means = np.exp(_design(future, offset) @ coefficients)
    tail = (1 - confidence) / 2
    return [
        Hour(start + timedelta(hours=int(t)), float(m), *_interval(float(m), alpha, tail))
        for t, m in zip(future, means, strict=True)
    ]


def backtest(counts: Sequence[int], start: datetime, horizon: int = WEEK) -> Backtest:
    """Fit on all but the last `horizon` hours, forecast those, and compare."""
    history, actual = list(counts[:-horizon]), list(counts[-horizon:])
    predicted = forecast(history, start, horizon)
    inside = sum(p.low <= a <= p.high for p, a in zip(predicted, actual, strict=True))
    return Backtest(
        horizon,
        mape([sum(actual[d : d + 24]) for d in range(0, horizon, 24)],
             [sum(p.mean for p in predicted[d : d + 24]) for d in range(0, horizon, 24)]),
        wape(actual, [p.mean for p in predicted]),
        inside / horizon,
    )  # fmt: skip


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float | None:
    """Mean absolute percentage error over the periods with a non-zero actual, in %."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a != 0]
    if not pairs:
        return None
    return 100 * sum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs)


def wape(actual: Sequence[float], predicted: Sequence[float]) -> float | None:
    """Weighted absolute percentage error: Σ|actual − predicted| / Σ|actual|, in %."""
    total = sum(abs(a) for a in actual)
    if total == 0:
        return None
    return 100 * sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / total


def _hour_of_week(moment: datetime) -> int:
    if moment.minute or moment.second or moment.microsecond:
        raise ValueError("the history must start on the hour")
    return moment.weekday() * 24 + moment.hour


def _design(t: NDArray[np.int_], offset: int) -> NDArray[np.float64]:
    """Intercept; trend in weeks; days 2–7 of the week; hours 1–23 of a working day and of a
    weekend day (the first day and hour are the baselines)."""
    hour_of_week = (t + offset) % WEEK
    day, hour = hour_of_week // 24, hour_of_week % 24
    weekend = day >= 5
    rows = np.arange(len(t))
    x = np.zeros((len(t), 2 + 6 + 23 + 23))
    x[:, 0] = 1.0
    x[:, 1] = t / WEEK
    x[rows[day > 0], 1 + day[day > 0]] = 1.0
    working = (~weekend) & (hour > 0)
    x[rows[working], 7 + hour[working]] = 1.0
    rest = weekend & (hour > 0)
    x[rows[rest], 30 + hour[rest]] = 1.0
    return x


def _fit(
    history: NDArray[np.float64], offset: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fitted means over the history and the coefficients (ridge-penalised Poisson GLM)."""
    import statsmodels.api as sm  # imported here: a heavy import only forecasting needs

    x = _design(np.arange(len(history)), offset)
    model = sm.GLM(history, x, family=sm.families.Poisson())
    penalty = np.full(x.shape[1], RIDGE)
    penalty[:2] = 0.0  # intercept and trend are not shrunk
    result = model.fit_regularized(alpha=penalty, L1_wt=0.0)
    coefficients = np.asarray(result.params, dtype=float)
    return np.exp(x @ coefficients), coefficients


def _dispersion(history: NDArray[np.float64], fitted: NDArray[np.float64]) -> float:
    excess = float(np.sum((history - fitted) ** 2 - fitted))
    return max(0.0, excess / float(np.sum(fitted**2)))


def _interval(mean: float, alpha: float, tail: float) -> tuple[int, int]:
    """Central interval of a negative binomial (Poisson when α = 0) with this mean."""
    if mean <= 0:
        return 0, 0
    if alpha == 0:
        distribution = stats.poisson(mean)
    else:
        size = 1 / alpha
        distribution = stats.nbinom(size, size / (size + mean))
    return int(distribution.ppf(tail)), int(distribution.ppf(1 - tail))
