"""Pareto rows: order, cumulative shares, the vital few and honest intervals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportqa.core.intervals import wilson
from supportqa.core.pareto import pareto


def test_rows_are_largest_first_with_cumulative_shares_and_the_vital_few() -> None:
    rows = pareto([("a", "Tone", 5), ("b", "Policy", 50), ("c", "Accuracy", 30), ("d", "Typo", 15)])
    assert [r.label for r in rows] == ["Policy", "Accuracy", "Typo", "Tone"]
    assert [r.cumulative for r in rows] == pytest.approx([50.0, 80.0, 95.0, 100.0])
    # 50 + 30 reaches 80% exactly: those two are the vital few.
    assert [r.vital for r in rows] == [True, True, False, False]
    assert rows[0].share.value == pytest.approx(50.0)
    expected = wilson(50, 100).scaled(100)
    assert (rows[0].share.low, rows[0].share.high) == pytest.approx((expected.low, expected.high))


def test_ties_are_ordered_by_name_and_zero_counts_left_out() -> None:
    rows = pareto([(1, "b", 2), (2, "a", 2), (3, "c", 0)])
    assert [r.key for r in rows] == [2, 1]
    assert pareto([]) == []
    with pytest.raises(ValueError, match="negative"):
        pareto([(1, "a", -1)])


@given(st.lists(st.integers(0, 1000), max_size=30))
def test_cumulative_ends_at_100_and_the_vital_few_reach_the_cutoff(counts: list[int]) -> None:
    rows = pareto([(i, f"cause {i:02d}", c) for i, c in enumerate(counts)])
    if not rows:
        assert sum(counts) == 0
        return
    assert rows[-1].cumulative == pytest.approx(100.0)
    vital = [r for r in rows if r.vital]
    assert vital == rows[: len(vital)]  # the vital few are the largest
    assert vital[-1].cumulative >= 80.0 - 1e-9
    if len(vital) > 1:
        assert vital[-2].cumulative < 80.0
