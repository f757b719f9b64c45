import pytest

from supportqa.core.leniency import reviewer_offsets


def test_offsets_recover_a_balanced_design_exactly():
    # Hand computed: two conversations (true 50 and 70) each scored by a lenient (+10)
    # and a strict (−10) reviewer, no noise -> offsets ±10, zero residual variance.
    reviews = [
        ("c1", "lenient", 60),
        ("c1", "strict", 40),
        ("c2", "lenient", 80),
        ("c2", "strict", 60),
    ]
    offsets = reviewer_offsets(reviews)
    assert offsets["lenient"].value == pytest.approx(10)
    assert offsets["strict"].value == pytest.approx(-10)
    assert offsets["lenient"].se == pytest.approx(0, abs=1e-9)


def test_single_reviews_and_isolated_reviewers_carry_no_information():
    reviews = [("c1", "a", 60), ("c1", "b", 40), ("c2", "c", 90)]
    offsets = reviewer_offsets(reviews)
    assert set(offsets) == {"a", "b"}


def test_noise_gives_an_interval_that_covers_the_truth():
    import random

    rng = random.Random(5)
    truth = {"lenient": 8.0, "neutral": 0.0, "strict": -8.0}
    reviews = []
    for c in range(200):
        quality = rng.uniform(30, 90)
        for reviewer in rng.sample(sorted(truth), 2):
            reviews.append((c, reviewer, quality + truth[reviewer] + rng.gauss(0, 5)))
    offsets = reviewer_offsets(reviews)
    for reviewer, offset in offsets.items():
        assert offset.low < truth[reviewer] < offset.high
        assert offset.high - offset.low < 4
