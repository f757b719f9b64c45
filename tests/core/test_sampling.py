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
