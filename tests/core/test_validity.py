"""Scorecard validity: spread verdicts, and the outcome model finds a criterion that matters
and not one that does not (simulated with known effects), refusing too little data."""

from __future__ import annotations

import numpy as np
import pytest

from supportqa.core.validity import EVENTS_PER_TERM, predict, spread


def test_spread_names_ceilings_floors_and_criteria_that_never_discriminate():
    assert spread([100] * 10, 0, 100).verdict == "never discriminates"
    assert spread([100] * 19 + [50], 0, 100).verdict == "hardly discriminates"
    assert spread([100] * 6 + [50] * 4, 0, 100).verdict == "ceiling effect"
    assert spread([0] * 6 + [50, 100, 100, 50], 0, 100).verdict == "floor effect"
    balanced = spread([0, 50, 100, 50, 0, 100], 0, 100)
    assert balanced.verdict == "" and balanced.top == pytest.approx(1 / 3)
    assert spread([], 0, 100).verdict == "no ratings"


def _simulate(seed: int, n: int) -> tuple[list, float]:
    """Outcome depends on 'tone' (log-odds +2 from lowest to highest), not on 'spelling'.
    Returns the rows and the true average marginal effect of tone, in points."""
    rng = np.random.default_rng(seed)
    tone = rng.choice([0.0, 0.5, 1.0], size=n)
    spelling = rng.choice([0.0, 0.5, 1.0], size=n)
    logit = -0.5 + 2.0 * tone
    p = 1 / (1 + np.exp(-logit))
    y = rng.random(n) < p
    rows = [
        ({"tone": t, "spelling": s}, bool(v)) for t, s, v in zip(tone, spelling, y, strict=True)
    ]
    return rows, 100 * float(np.mean(p * (1 - p) * 2.0))


def test_the_model_finds_the_criterion_that_matters():
    covered, zero_covered = 0, 0
    for seed in range(20):
        rows, truth = _simulate(seed, 600)
        model = predict("satisfied", rows, ["tone", "spelling"])
        assert model.problem == "" and model.conversations == 600
        tone, spelling = model.effects
        covered += tone.low <= truth <= tone.high
        zero_covered += spelling.low <= 0 <= spelling.high
        assert tone.p_value < 0.001
    assert covered >= 17 and zero_covered >= 17  # 95% intervals: about 19 of 20


def test_too_few_outcomes_incomplete_rows_and_no_criteria_are_refused():
    rows, _ = _simulate(1, 600)
    few = [(scores, False) for scores, _ in rows[:-5]] + [(s, True) for s, _ in rows[-5:]]
    refused = predict("reopened", few, ["tone", "spelling"])
    assert refused.effects == [] and f"needs {2 * EVENTS_PER_TERM}" in refused.problem
    partial = [({"tone": 1.0}, True)] * 50 + rows
    assert predict("satisfied", partial, ["tone", "spelling"]).conversations == 600
    assert predict("satisfied", rows, []).problem == "no criterion discriminates"
