import pytest

from supportqa.core.sampling import pooled_within_sd, reviews_needed


def test_cochran_sample_size_examples():
    # Cochran (1977) eq. 4.2: z=1.96, σ=25, e=5 -> (1.96*25/5)^2 = 96.04 -> 97
    assert reviews_needed(5, 0.95, 25) == 97
    # 90 %: z=1.6449 -> (1.6449*20/10)^2 = 10.82 -> 11
    assert reviews_needed(10, 0.90, 20) == 11


def test_finite_population_correction():
    # n0 = 97, N = 200: 97 / (1 + 96/200) = 65.5 -> 66
    assert reviews_needed(5, 0.95, 25, population=200) == 66
    assert reviews_needed(1, 0.95, 25, population=30) == 30  # never more than the population


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        reviews_needed(0)
    with pytest.raises(ValueError):
        reviews_needed(5, confidence=1.2)


def test_pooled_within_sd():
    # groups [1, 3] (ss 2) and [2, 4, 6] (ss 8): sqrt(10 / 3)
    assert pooled_within_sd([[1, 3], [2, 4, 6], [5]]) == pytest.approx((10 / 3) ** 0.5)
    assert pooled_within_sd([[1]]) is None


def test_designs_record_inclusion_probabilities():
    import random

    from supportqa.core.sampling import random_sample, stratified_sample, targeted_sample

    rng = random.Random(1)
    picks = random_sample(list(range(100)), 10, rng)
    assert len(picks) == 10 and {p for _, p in picks} == {0.1}
    strata = stratified_sample({"a": list(range(10)), "b": list(range(10, 14))}, 2, rng)
    assert sorted(p for _, p in strata) == [0.2, 0.2, 0.5, 0.5]
    targeted = targeted_sample(["x", "y"], list(range(50)), 5, rng)
    assert targeted[:2] == [("x", 1.0), ("y", 1.0)] and {p for _, p in targeted[2:]} == {0.1}
    assert random_sample([], 3, rng) == [] and len(random_sample([1, 2], 5, rng)) == 2


def test_inverse_probability_weights_undo_targeting():
    """Horvitz–Thompson: over many draws, the weighted mean of a targeted sample is unbiased."""
    import random
    import statistics

    from supportqa.core.kpis import iqs
    from supportqa.core.sampling import targeted_sample

    rng = random.Random(7)
    scores = {i: (30.0 if i < 20 else 80.0) for i in range(200)}  # truth: mean 75
    weighted, plain = [], []
    for _ in range(300):
        picks = targeted_sample(list(range(20)), list(range(20, 200)), 18, rng)
        values = [scores[i] for i, _ in picks]
        weighted.append(iqs(values, [p for _, p in picks]).value)
        plain.append(statistics.fmean(values))
    assert abs(statistics.fmean(weighted) - 75) < 0.5
    assert statistics.fmean(plain) < 60  # the plain mean of a targeted sample is far off


def test_fair_split_respects_quotas_and_never_assigns_own_conversations():
    from supportqa.core.sampling import split_fairly

    picks = [(f"c{i}", "ann" if i % 2 else "bob") for i in range(9)]
    given = split_fairly(picks, {"ann": 4, "bob": 4, "cat": 2})
    assert all(item not in given["ann"] for item, agent in picks if agent == "ann")
    assert all(item not in given["bob"] for item, agent in picks if agent == "bob")
    assert sum(len(v) for v in given.values()) == 9  # capacity 10: everything is placed
    assert len(given["ann"]) <= 4 and len(given["bob"]) <= 4 and len(given["cat"]) <= 2
    # fair: every reviewer is within one pick of the same share of their quota
    shares = [len(given[r]) / q for r, q in (("ann", 4), ("bob", 4), ("cat", 2))]
    assert max(shares) - min(shares) <= 0.5
