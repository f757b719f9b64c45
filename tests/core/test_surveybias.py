import pytest

from supportqa.core.surveybias import Stratum, post_stratified_share


def test_post_stratification_reweights_to_the_population():
    # Hand computed. Resolved chats: 800 conversations, 100 answers, 90 satisfied (0.9);
    # unresolved chats: 200 conversations, 100 answers, 30 satisfied (0.3).
    # Raw: 120/200 = 0.6. Adjusted: 0.8·0.9 + 0.2·0.3 = 0.78.
    # Variance: 0.64·0.09/100 + 0.04·0.21/100 = 0.000660 -> half-width 1.96·0.02569 = 0.05035
    strata = [Stratum("resolved", 800, 400, 100, 90), Stratum("unresolved", 200, 300, 100, 30)]
    result = post_stratified_share(strata)
    assert result.raw.value == pytest.approx(0.6)
    assert result.adjusted.value == pytest.approx(0.78)
    assert result.adjusted.high - result.adjusted.value == pytest.approx(0.05035, abs=1e-4)
    assert result.uncovered == 0
    assert strata[0].response_rate == 0.25


def test_strata_without_answers_are_reported_as_uncovered():
    strata = [Stratum("a", 300, 10, 5, 5), Stratum("b", 100, 10, 0, 0)]
    result = post_stratified_share(strata)
    assert result.adjusted.value == 1.0
    assert result.uncovered == pytest.approx(0.25)


def test_inconsistent_counts_are_refused():
    with pytest.raises(ValueError):
        post_stratified_share([Stratum("a", 10, 5, 2, 3)])
