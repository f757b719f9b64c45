import pytest

from supportqa.core.scoring import CriterionRating, ScoringError, criterion_score, review_score


def test_criterion_score_is_linear_between_scale_ends():
    assert criterion_score(50, 0, 100) == 50
    assert criterion_score(3, 1, 5) == 50
    assert criterion_score(1, 1, 5) == 0


def test_value_outside_scale_is_rejected():
    with pytest.raises(ScoringError):
        criterion_score(6, 1, 5)


def test_documented_na_example_scores_16_of_30_not_21_of_35():
    # MaestroQA's documented behaviour (PRODUCT.md §5): criteria worth 10, 10, 10 and 5 points;
    # 10 + 6 + 0 earned, the 5-point criterion N/A -> 16/30 = 53.3 %, not 21/35 = 60 %.
    ratings = [
        CriterionRating("a", 10, 0, 10, weight=10),
        CriterionRating("b", 6, 0, 10, weight=10),
        CriterionRating("c", 0, 0, 10, weight=10),
        CriterionRating("d", None, 0, 5, weight=5),
    ]
    result = review_score(ratings)
    assert result.raw == pytest.approx(16 / 30 * 100)
    assert round(result.raw, 1) == 53.3
    assert result.criterion_scores["d"] is None


def test_weights_within_a_section():
    result = review_score([CriterionRating("a", 100, weight=3), CriterionRating("b", 0, weight=1)])
    assert result.raw == 75


def test_weighted_sections_average_section_scores():
    ratings = [
        CriterionRating("a", 100, section="s1"),
        CriterionRating("b", 50, section="s1"),
        CriterionRating("c", 0, section="s2"),
    ]
    result = review_score(ratings, {"s1": 3, "s2": 1})
    assert result.section_scores == {"s1": 75, "s2": 0}
    assert result.raw == pytest.approx((3 * 75 + 1 * 0) / 4)


def test_section_with_only_na_leaves_the_denominator():
    ratings = [CriterionRating("a", 80, section="s1"), CriterionRating("b", None, section="s2")]
    result = review_score(ratings, {"s1": 1, "s2": 5})
    assert result.raw == 80
    assert result.section_scores["s2"] is None


def test_critical_criterion_below_50_zeroes_final_but_keeps_raw():
    ratings = [
        CriterionRating("a", 100),
        CriterionRating("b", 100),
        CriterionRating("crit", 0, critical=True),
    ]
    result = review_score(ratings)
    assert result.raw == pytest.approx(200 / 3)
    assert result.final == 0
    assert result.critical_failed


def test_critical_criterion_at_50_passes():
    result = review_score([CriterionRating("crit", 50, critical=True), CriterionRating("a", 100)])
    assert result.final == 75
    assert not result.critical_failed


def test_all_na_gives_no_score():
    result = review_score([CriterionRating("a", None), CriterionRating("b", None, critical=True)])
    assert result.raw is None and result.final is None and not result.critical_failed


def test_negative_weight_is_rejected():
    with pytest.raises(ScoringError):
        review_score([CriterionRating("a", 50, weight=-1)])
