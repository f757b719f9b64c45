"""Coaching's numbers: SMART checks, goal progress and the coaching effect (simulated truth)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from supportqa.core.coaching import Metric, did_effect, peer_reach, pooled, progress, smart
from supportqa.core.intervals import Estimate

IQS = Metric("iqs", "IQS")
REOPENED = Metric("reopen_rate", "Reopened (%)", higher_is_better=False)
TODAY = date(2026, 12, 1)


def letters(checks):
    return {c.letter: c.ok for c in checks}


def test_a_smart_goal_passes_every_letter_and_says_why():
    checks = smart(IQS, 85, Estimate(78.0, 30, 74.0, 82.0), [70, 80, 84, 88, 90, 91],
                   {"iqs"}, TODAY + timedelta(days=60), TODAY)  # fmt: skip
    assert letters(checks) == dict.fromkeys("SMART", True)
    assert checks[2].why == "from 78.0 to 85; the top of 6 peers reach 90.5"


def test_each_failed_letter_is_explained_with_the_numbers():
    checks = smart(None, None, Estimate(None, 0), [], set(), None, TODAY)
    assert letters(checks) == dict.fromkeys("SMART", False)
    assert [c.why for c in checks] == [
        "choose the criterion or KPI the goal is about",
        "give the target as a number",
        "needs the metric and the target",
        "tie the goal to an area for improvement of this or an earlier session (its criterion "
        "or KPI)",
        "give the due date",
    ]
    out_of_scale = smart(IQS, 120, Estimate(None, 0), [], {"iqs"}, TODAY + timedelta(30), TODAY)
    assert out_of_scale[1].why == "the target 120 is outside IQS's scale (0 to 100)"
    unreachable = smart(IQS, 97, Estimate(78.0, 30, 74.0, 82.0), [70, 80, 84, 88, 90, 91],
                        {"iqs"}, TODAY + timedelta(days=3), TODAY)  # fmt: skip
    assert unreachable[2].why == (
        "unreachable: the top tenth of peers reach 90.5 and the target is 97 (6 peers)"
    )
    assert (
        unreachable[4].why == "due 04 Dec 2026: give at least a week, so the data can show a change"
    )
    worse = smart(IQS, 70, Estimate(78.0, 30, 74.0, 82.0), [90], {"iqs"}, TODAY + timedelta(30),
                  TODAY)  # fmt: skip
    assert worse[2].why == "not an improvement: the agent's IQS is 78.0 now"
    noise = smart(IQS, 80, Estimate(78.0, 30, 74.0, 82.0), [90], {"iqs"}, TODAY + timedelta(30),
                  TODAY)  # fmt: skip
    assert noise[2].why.startswith("within reach of chance: the agent's IQS is 78.0 (95% CI")
    unknown = smart(IQS, 80, Estimate(None, 0), [90], {"iqs"}, TODAY + timedelta(30), TODAY)
    assert unknown[2].why.startswith("no baseline: the agent has no IQS")


def test_lower_is_better_metrics_turn_the_checks_round():
    assert peer_reach(REOPENED, [12, 4, 9]) == 4  # the best peer, fewer than five
    checks = smart(REOPENED, 3, Estimate(10.0, 200, 6.5, 14.8), [12, 4, 9], {"reopen_rate"},
                   TODAY + timedelta(days=30), TODAY)  # fmt: skip
    assert checks[2].why == "unreachable: the best peer reaches 4.0 and the target is 3 (3 peers)"
    assert letters(smart(REOPENED, 5, Estimate(10.0, 200, 6.5, 14.8), [12, 4, 9],
                         {"reopen_rate"}, TODAY + timedelta(days=30), TODAY))["A"]  # fmt: skip
    worse = smart(REOPENED, 20, Estimate(10.3, 200, 6.5, 14.8), [12, 4, 9], {"reopen_rate"},
                  TODAY + timedelta(days=30), TODAY)  # fmt: skip
    assert worse[2].why == "not an improvement: the agent's Reopened (%) is 10.3 now"


def test_goal_progress_follows_the_line_from_baseline_to_target():
    start, due = TODAY - timedelta(days=30), TODAY + timedelta(days=30)  # half way

    def status(value, n=20, today=TODAY):
        return progress(IQS, 90, 70, Estimate(value, n), start, due, today).status

    assert status(91) == "met"
    assert status(81) == "on track"  # the line is at 80 today
    assert status(79) == "at risk"
    assert status(79, n=3) == "not enough data"
    assert status(89, today=due + timedelta(days=1)) == "missed"
    assert progress(IQS, 90, 70, Estimate(81, 20), start, due, TODAY).expected == 80


def simulate(effect: float, repetitions: int = 2000, k: int = 12, seed: int = 3):
    """Agents' window means: a common trend, each agent's own drift, sampling noise; the
    coached agent gets `effect` after the session. Returns the effects' intervals."""
    rng = np.random.default_rng(seed)
    trend, drift, noise = 2.0, 3.0, 4.0
    lows, highs, labels = [], [], []
    for _ in range(repetitions):
        level = rng.normal(75, 8, k + 1)
        before = level + rng.normal(0, noise, k + 1)
        after = level + trend + rng.normal(0, drift, k + 1) + rng.normal(0, noise, k + 1)
        after[0] += effect
        result = did_effect(before[0], after[0], list(after[1:] - before[1:]))
        lows.append(result.estimate.low)
        highs.append(result.estimate.high)
        labels.append(result.label)
    return np.array(lows), np.array(highs), labels


def test_a_planted_effect_is_recovered_within_its_interval():
    lows, highs, labels = simulate(effect=10.0)
    covered = np.mean((lows <= 10.0) & (highs >= 10.0))
    assert covered >= 0.90
    # An effect of 10 points against changes that spread 6.4 points is detected about a
    # quarter of the time; one of 20 points, most of the time.
    assert 0.15 < labels.count("improved") / len(labels) < 0.4
    _, _, large = simulate(effect=20.0)
    assert large.count("improved") / len(large) > 0.75


def test_without_an_effect_the_interval_covers_zero_at_the_nominal_rate():
    lows, highs, labels = simulate(effect=0.0)
    covered = np.mean((lows <= 0) & (highs >= 0))
    # 95% nominal; 2,000 repetitions give a Monte Carlo standard error of about 0.5 points.
    assert covered == pytest.approx(0.95, abs=0.015)
    assert labels.count("improved") + labels.count("worsened") == round((1 - covered) * 2000)


def test_too_few_comparisons_or_too_wide_says_not_enough_data():
    assert did_effect(70, 80, [1.0, 2.0]).label == "not enough data"
    assert did_effect(None, 80, [1.0, 2.0, 3.0]).label == "not enough data"
    assert did_effect(70, 80, [-30.0, 0.0, 30.0]).label == "too uncertain to say"  # too wide
    one = did_effect(70, 80, [1.0, 2.0, 3.0, 2.0])
    assert one.label == "improved" and one.estimate.value == pytest.approx(8.0)
    alone = pooled([one])
    assert (alone.low, alone.high) == pytest.approx((one.estimate.low, one.estimate.high))
    both = pooled([one, one])
    assert (
        both.value == pytest.approx(8.0)
        and both.high - both.low < one.estimate.high - one.estimate.low
    )


def test_a_pattern_is_called_only_where_the_interval_supports_it():
    from supportqa.core.coaching import pattern

    assert pattern(Estimate(92.0, 20, 86.0, 98.0), meets=80) == "exceeded"
    assert pattern(Estimate(60.0, 20, 50.0, 70.0), meets=80) == "below"
    assert pattern(Estimate(81.0, 40, 75.0, 87.0), meets=80) == "met"
    assert pattern(Estimate(81.0, 4, 60.0, 102.0), meets=80) == ""  # too few reviews to say
    assert pattern(Estimate(81.0, 1), meets=80) == ""
