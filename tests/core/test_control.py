"""Control charts against the textbook's worked examples, and each signal rule on a run built
to fire it (and only it)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportqa.core.control import (
    MINIMUM_POINTS,
    Point,
    individuals_chart,
    laney_chart,
    p_chart,
    signals,
)

# Montgomery, D. C., Introduction to Statistical Quality Control, 6th ed. (Wiley 2009),
# Example 7.1: frozen orange juice cans, 30 samples of n = 50, nonconforming cans per sample.
# Published trial limits: p̄ = 0.2313, UCL = 0.4102, LCL = 0.0524, with samples 15 and 23 above
# the UCL; revised without them: p̄ = 0.2150, UCL = 0.3893, LCL = 0.0407, which sample 21 (0.40)
# now exceeds.
ORANGE_JUICE = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24,
                15, 9, 12, 7, 13, 9, 6]  # fmt: skip

# Montgomery (same book), Example 6.5: weekly mortgage-loan processing costs, 20 weeks.
# Published: x̄ = 300.5, MR̄ = 7.79, UCL = 321.22, LCL = 279.78, moving-range UCL = 25.45; the
# process is in control.
LOAN_COSTS = [310, 288, 297, 298, 307, 303, 294, 297, 308, 306, 294, 299, 297, 299, 314, 295, 293,
              306, 301, 304]  # fmt: skip


def test_p_chart_matches_montgomery_example_7_1() -> None:
    samples = [(x, 50) for x in ORANGE_JUICE]
    trial = p_chart(samples, revise=False)
    assert trial.centre == pytest.approx(0.2313, abs=5e-5)
    assert trial.points[0].upper == pytest.approx(0.4102, abs=5e-5)
    assert trial.points[0].lower == pytest.approx(0.0524, abs=5e-5)
    assert [s.first + 1 for s in trial.signals if s.rule == 1] == [15, 23]
    chart = p_chart(samples)
    assert [i + 1 for i in chart.excluded] == [15, 23]
    assert chart.centre == pytest.approx(0.2150, abs=5e-5)
    assert chart.points[0].upper == pytest.approx(0.3893, abs=5e-5)
    assert chart.points[0].lower == pytest.approx(0.0407, abs=5e-5)
    beyond = [s for s in chart.signals if s.rule == 1]
    assert [(s.first + 1, s.direction) for s in beyond] == [(15, "up"), (21, "up"), (23, "up")]


def test_individuals_chart_matches_montgomery_example_6_5() -> None:
    chart = individuals_chart(LOAN_COSTS)
    assert chart.centre == pytest.approx(300.5, abs=5e-3)
    assert chart.points[0].sigma * 1.128 == pytest.approx(7.79, abs=5e-3)
    assert chart.points[0].upper == pytest.approx(321.22, abs=0.01)
    assert chart.points[0].lower == pytest.approx(279.78, abs=0.01)
    assert chart.moving_range_limit == pytest.approx(25.45, abs=0.01)
    assert chart.signals == ()  # "the process is in control"


def test_a_large_recent_shift_does_not_widen_the_limits_it_is_judged_against() -> None:
    """Montgomery's revision: the weeks beyond the trial limits are left out of the revised
    ones; judged against limits that include them, the ordinary weeks would look 'low'."""
    steady = [50.0, 52, 49, 51, 50, 48, 51, 50, 49, 51]
    chart = individuals_chart([*steady, 90, 95])
    assert chart.excluded == (10, 11)
    assert chart.centre == pytest.approx(sum(steady) / len(steady))
    assert chart.points[0].sigma == pytest.approx(
        sum(abs(b - a) for a, b in zip(steady, steady[1:], strict=False)) / 9 / 1.128
    )
    assert {s.rule for s in chart.signals} == {1, 5} and chart.flagged() == {10, 11}
    trial = individuals_chart([*steady, 90, 95], revise=False)
    assert any(s.last < 10 for s in trial.signals)  # eight in a row below the inflated centre


def test_p_chart_limits_widen_for_a_small_period_and_stay_within_0_and_1() -> None:
    chart = p_chart([(45, 50)] * 8 + [(2, 2)])
    assert chart.points[-1].upper == 1.0
    assert (
        chart.points[-1].upper - chart.points[-1].lower
        > chart.points[0].upper - chart.points[0].lower
    )


def _points(zs: list[float]) -> list[Point]:
    return [Point(z, 0.0, 1.0) for z in zs]


# Each run fires its rule and no other rule of the set (Nelson 1984's definitions).
@pytest.mark.parametrize(
    ("zs", "rule_set", "expected"),
    [
        ([0.5, -0.5, 3.5, 0.2], "nelson", [(1, 2, 2, "up")]),
        ([0.2, -0.3] + [0.5, 0.4] * 4 + [0.6], "nelson", [(2, 2, 10, "up")]),
        ([-0.5, 0.5] + [0.4] * 7 + [-0.4], "western-electric", [(2, 1, 8, "up")]),
        ([0.1, -0.9, -0.6, -0.4, -0.2, 0.1, 0.3, 0.1], "nelson", [(3, 1, 6, "up")]),
        ([0.1, -0.1] * 7, "nelson", [(4, 0, 13, "")]),
        ([0.1, -2.5, 0.3, -2.2, 0.4], "nelson", [(5, 1, 3, "down")]),
        ([0.1, 1.5, 1.2, -0.2, 1.7, 1.1, -0.3], "nelson", [(6, 1, 5, "up")]),
        ([0.3, 0.2, -0.5, -0.4, 0.1] * 3, "nelson", [(7, 0, 14, "")]),
        ([-1.5, 1.5, 1.2, -1.7, 1.4, -1.2, 1.6, -1.3], "nelson", [(8, 0, 7, "")]),
    ],
)
def test_each_rule_fires_on_its_own_run(
    zs: list[float], rule_set: str, expected: list[tuple[int, int, int, str]]
) -> None:
    found = signals(_points(zs), rule_set)
    assert [(s.rule, s.first, s.last, s.direction) for s in found] == expected
    assert all(s.explanation for s in found)


def test_an_unknown_rule_set_and_too_few_points_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown rule set"):
        signals(_points([0.0] * 10), "shewhart-plus")
    with pytest.raises(ValueError, match=f"at least {MINIMUM_POINTS}"):
        individuals_chart([1.0] * (MINIMUM_POINTS - 1))
    with pytest.raises(ValueError, match="events"):
        p_chart([(3, 2)] * MINIMUM_POINTS)


def test_a_flat_series_signals_nothing() -> None:
    chart = individuals_chart([42.0] * 20, "nelson")
    assert chart.signals == ()
    assert chart.points[0].z == 0.0


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(-1000, 1000), min_size=MINIMUM_POINTS, max_size=40),
    st.integers(-1000, 1000),
    st.integers(1, 60),
)
def test_signals_do_not_depend_on_the_unit_or_the_origin(
    values: list[int], shift: int, scale: int
) -> None:
    """Measuring in seconds or minutes, or from another origin, flags the same weeks."""
    base = individuals_chart([float(v) for v in values], "nelson")
    moved = individuals_chart([float(v * scale + shift) for v in values], "nelson")
    on_a_boundary = base.points[0].sigma == 0 or any(
        math.isclose(abs(p.z), t, abs_tol=1e-9) for p in base.points for t in (0, 1, 2, 3)
    )
    if not on_a_boundary:  # rounding may put a point on either side of a boundary
        assert [(s.rule, s.first, s.last, s.direction) for s in moved.signals] == [
            (s.rule, s.first, s.last, s.direction) for s in base.signals
        ]


def test_rules_flagging_one_change_make_one_episode_named_by_the_strongest() -> None:
    steady = [50.0, 52, 49, 51, 50, 48, 51, 50, 49, 51]
    chart = individuals_chart([*steady, 90, 95])
    (episode,) = chart.episodes()
    assert (episode.rule, episode.first, episode.last, episode.direction) == (1, 10, 11, "up")
    assert "above the control limits" in episode.explanation


def test_laney_chart_with_equal_sizes_is_the_individuals_chart() -> None:
    laney = laney_chart([float(v) for v in LOAN_COSTS], [7] * len(LOAN_COSTS))
    plain = individuals_chart([float(v) for v in LOAN_COSTS])
    assert [x for p in laney.points for x in (p.centre, p.upper, p.lower)] == pytest.approx(
        [x for p in plain.points for x in (p.centre, p.upper, p.lower)]
    )
    assert laney.signals == plain.signals


def _weeks(rng, sizes, rates):
    return [(int(rng.binomial(n, p)), int(n)) for n, p in zip(sizes, rates, strict=True)]


def test_laney_matches_the_p_chart_on_binomial_data_and_not_on_overdispersed_data() -> None:
    """Laney (2002): with only binomial variation σ_z ≈ 1, so p' limits ≈ p-chart limits; when
    weeks truly differ (large n, a true rate that wanders) the p-chart flags most weeks and the
    p' chart does not."""
    import numpy as np

    rng = np.random.default_rng(7)
    ratios = []
    for _ in range(300):
        sizes = rng.integers(40, 400, size=26)
        counts = _weeks(rng, sizes, [0.8] * 26)
        classic = p_chart(counts, revise=False)
        laney = laney_chart([x / n for x, n in counts], [n for _, n in counts], revise=False)
        ratios.append(laney.points[0].sigma / classic.points[0].sigma)
    assert 0.95 < float(np.mean(ratios)) < 1.05

    flagged_classic = flagged_laney = total = 0
    for _ in range(40):
        sizes = rng.integers(4000, 6000, size=26)
        counts = _weeks(rng, sizes, rng.normal(0.8, 0.02, size=26).clip(0.5, 0.95))
        classic = p_chart(counts)
        laney = laney_chart([x / n for x, n in counts], [n for _, n in counts])
        flagged_classic += sum(abs(p.z) > 3 for p in classic.points)
        flagged_laney += sum(abs(p.z) > 3 for p in laney.points)
        total += 26
    assert flagged_classic / total > 0.3
    assert flagged_laney / total < 0.05


def test_laney_limits_are_wider_for_a_small_week() -> None:
    chart = laney_chart([0.8, 0.82, 0.79, 0.81, 0.8, 0.78, 0.83, 0.8, 0.81], [100] * 8 + [10])
    small, usual = chart.points[-1], chart.points[0]
    assert small.upper - small.centre == pytest.approx((usual.upper - usual.centre) * math.sqrt(10))


def test_charts_start_where_the_data_began():
    from supportqa.core.control import since_data_began

    weeks = [("w1", 0), ("w2", 0), ("w3", 4), ("w4", 0), ("w5", 6)]
    assert since_data_began(weeks, lambda w: w[1]) == [("w3", 4), ("w4", 0), ("w5", 6)]
    assert since_data_began([("w1", 0)], lambda w: w[1]) == []
