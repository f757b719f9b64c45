"""The hourly forecast recovers a known weekly pattern and trend, its 95% intervals hold on
unseen weeks, and the error measures are the textbook ones."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from supportqa.core.forecast import WEEK, backtest, forecast, hourly_counts, mape, wape

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, midnight


def _truth(hours: int) -> np.ndarray:
    """Busy weekday daytimes, quiet nights and weekends, growing 2% a week."""
    t = np.arange(hours)
    hour, day = t % 24, (t // 24) % 7
    daytime = np.where((hour >= 8) & (hour < 20), 6.0 + 3 * np.sin(np.pi * (hour - 8) / 12), 0.3)
    weekend = np.where(day >= 5, 0.4, 1.0)
    return daytime * weekend * 1.02 ** (t / WEEK)


def _draw(rng: np.random.Generator, mean: np.ndarray, alpha: float) -> list[int]:
    size = 1 / alpha
    return rng.negative_binomial(size, size / (size + mean)).tolist()


def test_the_forecast_recovers_the_weekly_pattern_and_its_intervals_hold():
    rng = np.random.default_rng(3)
    truth = _truth(9 * WEEK)
    coverage, errors = [], []
    for _ in range(8):
        counts = _draw(rng, truth, alpha=0.1)
        predicted = forecast(counts[: 8 * WEEK], START)
        means = np.array([p.mean for p in predicted])
        errors.append(np.sum(np.abs(means - truth[8 * WEEK :])) / np.sum(truth[8 * WEEK :]))
        actual = counts[8 * WEEK :]
        coverage.append(
            np.mean([p.low <= a <= p.high for p, a in zip(predicted, actual, strict=True)])
        )
    assert np.mean(errors) < 0.12  # the mean is within about a tenth of the truth
    assert 0.9 < np.mean(coverage) < 0.99  # nominal 95%
    assert predicted[0].at == datetime(2026, 3, 2, tzinfo=UTC)  # the hour after the history


def test_backtest_reports_the_last_week():
    rng = np.random.default_rng(4)
    counts = _draw(rng, _truth(6 * WEEK), alpha=0.1)
    result = backtest(counts, START)
    assert result.hours == WEEK
    assert 0 < result.daily_mape < 25 and 0 < result.hourly_wape < 60
    assert result.coverage > 0.85


def test_error_measures_and_counting_are_the_textbook_ones():
    # MAPE over non-zero actuals: (|100−90|/100 + |50−60|/50) / 2 = 15%; zero actual skipped.
    assert mape([100, 50, 0], [90, 60, 5]) == pytest.approx(15.0)
    # WAPE: (10 + 10 + 5) / 150.
    assert wape([100, 50, 0], [90, 60, 5]) == pytest.approx(100 * 25 / 150)
    assert mape([0], [1]) is None and wape([0], [1]) is None
    stamps = [
        START.replace(hour=0, minute=30),
        START.replace(hour=2),
        START.replace(hour=2, minute=59),
    ]
    assert hourly_counts(stamps, START, 4) == [1, 0, 2, 0]


def test_too_short_or_misaligned_history_is_refused():
    with pytest.raises(ValueError, match="2 weeks"):
        forecast([1] * (2 * WEEK - 1), START)
    with pytest.raises(ValueError, match="on the hour"):
        forecast([1] * (2 * WEEK), START.replace(minute=5))
