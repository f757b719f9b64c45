import pytest

from supportqa.core.appraisal import compare, shrink, source_gaps
from supportqa.core.intervals import Estimate


def test_equal_counts_reduce_to_james_stein():
    # James–Stein (Efron & Morris 1975): B = (k − 3)σ²/Σ(y − ȳ)². Hand computed:
    # y = 60, 70, 80, 90, 100 (ȳ = 80, Σ = 1000), σ² = 400, n = 4 -> v = 100,
    # B = 2·100/1000 = 0.2 -> 80 + 0.8·(y − 80)
    shrunk = shrink([60, 70, 80, 90, 100], [4] * 5, 400)
    assert shrunk == pytest.approx([64, 72, 80, 88, 96])


def test_small_samples_shrink_more():
    shrunk = shrink([50, 90, 70, 70, 70], [1, 40, 20, 20, 20], 400)
    assert shrunk[0] - 50 > 90 - shrunk[1] > 0  # the single review moves furthest
    assert all(min(50, 90) <= s <= max(50, 90) for s in shrunk)


def test_too_few_agents_are_left_alone():
    assert shrink([10, 90, 50], [1, 1, 1], 400) == [10, 90, 50]


def test_labels_only_when_the_interval_excludes_the_reference():
    assert compare(Estimate(90, 30, 85, 95), 80, 10).label == "above"
    assert compare(Estimate(60, 30, 55, 65), 80, 10).label == "below"
    unsure = compare(Estimate(75, 4, 60, 90), 80, 10)
    # (1.96 · 10 / 5)² = 15.4 -> 16 reviews, 4 already done
    assert (unsure.label, unsure.more_reviews) == ("insufficient data", 12)
    assert compare(Estimate(None, 0), 80, 10).more_reviews is None


def test_source_gaps_are_each_sources_mean_distance_from_the_others():
    """Worked by hand. Tone: self 90, QA 70, AutoQA 80 → self +15 (90 − 75), QA −15 (70 − 85),
    AutoQA 0 (80 − 80). Clarity: self 60, QA 80 → self −20, QA +20. Follow-up: self only
    (nothing to compare). Mean over the criteria compared: self (15 − 20) / 2 = −2.5,
    QA (−15 + 20) / 2 = +2.5, AutoQA 0."""
    gaps = source_gaps(
        {
            "tone": {"self": 90, "qa": 70, "autoqa": 80},
            "clarity": {"self": 60, "qa": 80},
            "follow-up": {"self": 50},
        }
    )
    assert gaps == {"self": pytest.approx(-2.5), "qa": pytest.approx(2.5), "autoqa": 0.0}
    assert source_gaps({"tone": {"self": 90}}) == {"self": None}


def test_no_absurd_count_of_more_reviews_when_level_with_the_average():
    """n needed = (1.96 × 10 / 0.01)² ≈ 3.8 million: shown as no count at all."""
    level = compare(Estimate(77.51, 9, 70, 85), 77.5, 10)
    assert level.label == "insufficient data" and level.more_reviews is None
    near = compare(Estimate(75, 4, 60, 90), 80, 10)  # (1.96 × 10 / 5)² = 15.4 → 16 − 4 = 12
    assert near.more_reviews == 12


def test_areas_place_a_criterion_only_where_its_interval_allows():
    from supportqa.core.appraisal import areas
    from supportqa.core.intervals import Estimate

    placed = areas(
        [
            ("Tone", Estimate(92.0, 20, 86.0, 98.0)),
            ("Clarity", Estimate(88.0, 20, 81.0, 95.0)),
            ("Resolution", Estimate(60.0, 20, 48.0, 72.0)),
            ("Follow-up", Estimate(78.0, 20, 70.0, 86.0)),
            ("Compliance", Estimate(100.0, 1)),  # one rating: no interval
            ("Greeting", Estimate(80.0, 12, 80.0, 80.0)),  # every rating at the mark
            ("Empathy", Estimate(100.0, 4, 100.0, 100.0)),  # too few to place
        ],
        expected=80.0,
    )
    assert [n for n, _ in placed.strengths] == ["Tone", "Clarity"]  # clearest first
    assert [n for n, _ in placed.below] == ["Resolution"]
    assert [n for n, _ in placed.unclear] == ["Follow-up", "Compliance", "Greeting", "Empathy"]
