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


def dense_offsets(reviews):
    """The reference: least squares on the full conversation × reviewer indicator design, the
    offsets' sum-to-zero constraint added as an equation (SupportQA's implementation until
    the conversation effects were absorbed). Connected designs only. Returns reviewer →
    (offset, standard error)."""
    import math
    from collections import defaultdict

    import numpy as np

    by_conversation = defaultdict(list)
    for c, r, s in reviews:
        by_conversation[c].append((r, s))
    shared = {c: v for c, v in by_conversation.items() if len({r for r, _ in v}) >= 2}
    rows = [(c, r, s) for c, v in shared.items() for r, s in v]
    conversations = list(shared)
    reviewers = sorted({r for _, r, _ in rows}, key=str)
    n_c = len(conversations)
    x = np.zeros((len(rows), n_c + len(reviewers)))
    y = np.array([s for _, _, s in rows], dtype=float)
    for i, (c, r, _) in enumerate(rows):
        x[i, conversations.index(c)] = 1.0
        x[i, n_c + reviewers.index(r)] = 1.0
    constraint = np.zeros((1, x.shape[1]))
    constraint[0, n_c:] = 1.0
    gram = x.T @ x
    inverse = np.linalg.pinv(gram + constraint.T @ constraint)
    coef = inverse @ (x.T @ y)
    covariance = inverse @ gram @ inverse
    df = len(rows) - n_c - len(reviewers) + 1
    residual = y - x @ coef
    sigma2 = float(residual @ residual) / df
    return {
        r: (float(coef[n_c + j]), math.sqrt(max(sigma2 * covariance[n_c + j, n_c + j], 0.0)))
        for j, r in enumerate(reviewers)
    }


@pytest.mark.parametrize("seed", range(6))
def test_absorbing_conversations_gives_the_full_designs_figures(seed):
    """Same offsets and standard errors as the full design, to 1e-9, on random connected
    designs: 2–4 reviews per conversation, a reviewer sometimes reviewing one twice."""
    import random

    rng = random.Random(seed)
    names = [f"r{i}" for i in range(rng.randint(3, 9))]
    truth = {r: rng.gauss(0, 8) for r in names}
    reviews = []
    for c in range(rng.randint(30, 120)):
        quality = rng.uniform(20, 95)
        chosen = rng.sample(names, rng.randint(2, min(4, len(names))))
        if rng.random() < 0.1:
            chosen.append(chosen[0])
        reviews += [(c, r, quality + truth[r] + rng.gauss(0, 6)) for r in chosen]
    for c in range(len(names)):  # a chain through every reviewer keeps the design connected
        reviews += [(f"link{c}", names[c], 50.0), (f"link{c}", names[c - 1], 55.0)]
    reviews += [(f"single{c}", rng.choice(names), 70.0) for c in range(20)]
    fast = reviewer_offsets(reviews)
    for reviewer, (value, se) in dense_offsets(reviews).items():
        assert fast[reviewer].value == pytest.approx(value, abs=1e-9)
        assert fast[reviewer].se == pytest.approx(se, abs=1e-9)


def test_each_connected_group_of_reviewers_sums_to_zero():
    reviews = [
        ("c1", "a", 60), ("c1", "b", 40), ("c2", "a", 70), ("c2", "b", 54),
        ("c3", "x", 90), ("c3", "y", 80), ("c4", "x", 75), ("c4", "y", 61),
    ]  # fmt: skip
    offsets = reviewer_offsets(reviews)
    assert offsets["a"].value + offsets["b"].value == pytest.approx(0, abs=1e-12)
    assert offsets["x"].value + offsets["y"].value == pytest.approx(0, abs=1e-12)
    assert offsets["a"].value == pytest.approx(9.0) and offsets["x"].value == pytest.approx(6.0)
