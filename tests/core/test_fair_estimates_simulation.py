"""Simulation with known truth: targeted sampling plus lenient and strict reviewers.

Agents have true quality; a QA programme reviews every conversation flagged as a complaint
(inclusion probability 1, and complaints are the bad conversations) and 10 % of the rest;
each agent is reviewed mostly by one of four reviewers whose offsets are +10, +3, −3, −10;
a quarter of the sampled conversations get a second review (the overlap that identifies
the offsets). Raw averages are biased by both mechanisms; the Horvitz–Thompson weighted,
leniency-adjusted estimate must recover the truth with clearly lower bias and RMSE.
"""

from __future__ import annotations

import math
import random
import statistics

from supportqa.core.kpis import iqs
from supportqa.core.leniency import reviewer_offsets

OFFSETS = {"r1": 10.0, "r2": 3.0, "r3": -3.0, "r4": -10.0}


def simulate(seed: int = 21):
    rng = random.Random(seed)
    truth, reviews = {}, []
    for agent in range(40):
        quality = rng.uniform(50, 90)
        usual = list(OFFSETS)[agent % 4]
        scores = [quality + rng.gauss(0, 15) for _ in range(200)]
        truth[agent] = statistics.fmean(scores)
        for index, score in enumerate(scores):
            flagged = score < quality - 10
            probability = 1.0 if flagged else 0.1
            if rng.random() >= probability:
                continue
            first = usual if rng.random() < 0.8 else rng.choice(list(OFFSETS))
            reviewers = [first]
            if rng.random() < 0.25:
                reviewers.append(rng.choice([r for r in OFFSETS if r != first]))
            for reviewer in reviewers:
                observed = score + OFFSETS[reviewer] + rng.gauss(0, 3)
                reviews.append((agent, (agent, index), reviewer, observed, probability))
    return truth, reviews


def test_weighted_and_adjusted_estimates_recover_the_truth():
    truth, reviews = simulate()
    offsets = reviewer_offsets([(c, r, s) for _, c, r, s, _ in reviews])
    for reviewer, known in OFFSETS.items():  # the offsets themselves are recovered
        assert abs(offsets[reviewer].value - known) < 1.5
        assert offsets[reviewer].low < known < offsets[reviewer].high
    raw_errors, fair_errors = [], []
    for agent, true_mean in truth.items():
        mine = [row for row in reviews if row[0] == agent]
        raw = statistics.fmean(s for _, _, _, s, _ in mine)
        fair = iqs([s - offsets[r].value for _, _, r, s, _ in mine], [p for *_, p in mine])
        raw_errors.append(raw - true_mean)
        fair_errors.append(fair.value - true_mean)

    def rmse(errors):
        return math.sqrt(statistics.fmean(e * e for e in errors))

    raw_bias, fair_bias = statistics.fmean(raw_errors), statistics.fmean(fair_errors)
    assert raw_bias < -5  # targeted picks drag plain averages down
    assert abs(fair_bias) < 1.5
    assert rmse(raw_errors) > 8
    assert rmse(fair_errors) < 0.5 * rmse(raw_errors)
