"""The before/after difference of an improvement action's metric."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from supportqa.core.change import difference_of_means, difference_of_shares, verdict
from supportqa.core.intervals import Estimate, mean_interval


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10 (hybrid
        # score, no continuity correction), examples (a), (b) and (c).
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((5, 56, 0, 29), -0.0381, 0.1926),
    ],
)
def test_difference_of_shares_matches_newcombe(counts, low, high):
    estimate = difference_of_shares(*counts)
    assert estimate.value == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert estimate.low == pytest.approx(low, abs=5e-5)
    assert estimate.high == pytest.approx(high, abs=5e-5)


def test_difference_of_shares_without_data_has_no_value():
    assert difference_of_shares(3, 10, 0, 0).value is None


def test_difference_of_means_is_welchs_interval():
    """Checked against scipy's own Welch test (an implementation independent of ours)."""
    rng = np.random.default_rng(7)
    after, before = rng.normal(82, 9, 40), rng.normal(78, 14, 25)
    ours = difference_of_means(mean_interval(list(after)), mean_interval(list(before)))
    theirs = stats.ttest_ind(after, before, equal_var=False).confidence_interval()
    assert ours.value == pytest.approx(after.mean() - before.mean())
    # Ours rounds Welch's degrees of freedom down (a slightly wider interval).
    assert ours.low == pytest.approx(theirs.low, abs=0.02)
    assert ours.high == pytest.approx(theirs.high, abs=0.02)
    assert ours.low <= theirs.low and ours.high >= theirs.high


def test_verdict_speaks_only_when_the_interval_excludes_zero():
    assert verdict(difference_of_shares(56, 70, 48, 80)).label == "improved"
    assert verdict(difference_of_shares(48, 80, 56, 70)).label == "worsened"
    assert verdict(difference_of_shares(56, 70, 48, 80), higher_is_better=False).label == (
        "worsened"
    )
    assert verdict(difference_of_shares(5, 56, 0, 29)).label == "no detectable change"
    assert verdict(Estimate(None, 0)).label == "not enough data"


def test_a_clipped_interval_keeps_its_wider_side_and_no_spread_gives_no_interval():
    clipped = Estimate(97.0, 5, 88.0, 100.0)  # IQS clipped at 100: the low side is the true half
    whole = Estimate(97.0, 5, 88.0, 106.0)
    assert difference_of_means(clipped, Estimate(80.0, 5, 70.0, 90.0)) == difference_of_means(
        whole, Estimate(80.0, 5, 70.0, 90.0)
    )
    flat = difference_of_means(Estimate(100.0, 2, 100.0, 100.0), Estimate(90.0, 2, 90.0, 90.0))
    assert flat.value == 10.0 and flat.low is None
    assert verdict(flat).label == "not enough data"
