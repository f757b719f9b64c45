from datetime import UTC, datetime, time, timedelta

import pytest

from supportqa.core import kpis
from supportqa.core.intervals import mean_interval, weighted_mean_interval, wilson

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [  # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998(successes, n, low, high):
    estimate = wilson(successes, n)
    assert estimate.low == pytest.approx(low, abs=5e-5)
    assert estimate.high == pytest.approx(high, abs=5e-5)


def test_t_interval_matches_students_sleep_data():
    # Student (1908) sleep data, paired differences; R: t.test(extra ~ group, data = sleep,
    # paired = TRUE) gives mean 1.58 and 95% CI 0.7001142 to 2.4598858 (sign reversed there).
    diffs = [1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4]
    estimate = mean_interval(diffs)
    assert estimate.value == pytest.approx(1.58)
    assert estimate.low == pytest.approx(0.7001142, abs=1e-6)
    assert estimate.high == pytest.approx(2.4598858, abs=1e-6)


def test_weighted_mean_is_hajek_estimator():
    # Hand computed: weights 1, 1, 4 -> (10 + 20 + 4*40) / 6 = 31.67
    estimate = weighted_mean_interval([10, 20, 40], [1, 1, 4])
    assert estimate.value == pytest.approx(190 / 6)
    assert estimate.low < estimate.value < estimate.high


def test_iqs_weights_by_inverse_inclusion_probability():
    # A targeted sample over-represents low scores (picked with probability 1) next to
    # random picks (probability 0.25): 1/p weights restore the population mean.
    scores = [20, 90, 90]
    probabilities = [1.0, 0.25, 0.25]
    weighted = kpis.iqs(scores, probabilities)
    assert weighted.value == pytest.approx((20 + 4 * 90 + 4 * 90) / 9)
    assert kpis.iqs(scores).value == pytest.approx(200 / 3)


def test_iqs_interval_is_clipped_to_0_100():
    estimate = kpis.iqs([100, 100, 0])
    assert estimate.low >= 0 and estimate.high <= 100


def test_pass_rate_counts_threshold_inclusive():
    estimate = kpis.pass_rate([(80, 80), (79.9, 80), (100, 80), (70, 60)])
    assert estimate.value == 75
    assert estimate.n == 4


def test_csat_counts_top_two_boxes_on_5_and_7_point_scales():
    answers = [(5, 5), (4, 5), (3, 5), (7, 7), (6, 7), (5, 7), (1, 5), (2, 7)]
    assert kpis.csat_percent(answers).value == pytest.approx(4 / 8 * 100)


def test_csat_rejects_answer_outside_scale():
    with pytest.raises(ValueError):
        kpis.csat_percent([(6, 5)])


def test_nps_promoters_minus_detractors():
    scores = [10, 9, 9, 8, 7, 6, 0, 10, 5, 9]  # 5 promoters, 3 detractors, 2 passives
    estimate = kpis.nps(scores)
    assert estimate.value == pytest.approx(20)
    assert -100 <= estimate.low < 20 < estimate.high <= 100


def test_nps_all_promoters_is_100():
    assert kpis.nps([9, 10, 10]).value == 100


def test_ces_mean_and_easy_share():
    assert kpis.ces([7, 5, 3]).value == 5
    assert kpis.ces_easy_percent([7, 5, 3, 4]).value == 50


def test_first_response_from_first_customer_message():
    messages = [
        ("customer", T),
        ("note", T + timedelta(minutes=1)),
        ("agent", T + timedelta(minutes=5)),
        ("agent", T + timedelta(minutes=9)),
    ]
    assert kpis.first_response_seconds(messages) == 300


def test_first_response_falls_back_to_creation_without_customer_message():
    messages = [("agent", T + timedelta(minutes=3))]
    assert kpis.first_response_seconds(messages, created_at=T) == 180


def test_first_response_none_without_agent_reply():
    assert kpis.first_response_seconds([("customer", T), ("bot", T)]) is None


def test_resolution_summary_excludes_and_counts_unresolved():
    summary = kpis.summarise_durations(
        [
            kpis.resolution_seconds(T, T + timedelta(hours=1)),
            kpis.resolution_seconds(T, T + timedelta(hours=3)),
            kpis.resolution_seconds(T, None),
        ]
    )
    assert (summary.n, summary.mean, summary.median, summary.excluded) == (2, 7200, 7200, 1)


def test_fcr_excludes_reopens_and_repeat_contacts_within_window():
    c = kpis.Contact
    contacts = [
        c("1", "alice", "billing", T, T + timedelta(hours=1)),  # repeat on day 3 -> not FCR
        c("2", "alice", "billing", T + timedelta(days=3), T + timedelta(days=3, hours=1)),  # FCR
        c("3", "bob", "billing", T, T + timedelta(hours=1), reopen_count=1),  # reopened
        c("4", "bob", "tech", T + timedelta(days=1), T + timedelta(days=1, hours=2)),  # FCR
        c("5", "carol", "tech", T, None),  # unresolved: not in denominator
        c("6", "dan", "tech", T, T + timedelta(hours=1)),  # repeat after 8 days -> FCR
        c("7", "dan", "tech", T + timedelta(days=8, hours=2), T + timedelta(days=9)),  # FCR
    ]
    estimate = kpis.first_contact_resolution(contacts, window_days=7)
    assert estimate.n == 6
    assert estimate.value == pytest.approx(4 / 6 * 100)


def test_fcr_consults_later_contacts_without_counting_them():
    first = kpis.Contact("1", "alice", "billing", T, T + timedelta(hours=1))
    later = kpis.Contact("2", "alice", "billing", T + timedelta(days=2), T + timedelta(days=2))
    estimate = kpis.first_contact_resolution([first], 7, later_contacts=[later])
    assert (estimate.n, estimate.value) == (1, 0)


def test_response_rate():
    assert kpis.response_rate(25, 100).value == 25
    with pytest.raises(ValueError):
        kpis.response_rate(5, 4)


def test_business_seconds_skips_nights_and_weekends():
    schedule = {d: (time(9), time(17)) for d in range(5)}
    friday_4pm = T + timedelta(days=4, hours=7)
    monday_10am = T + timedelta(days=7, hours=1)
    assert kpis.business_seconds(friday_4pm, monday_10am, schedule) == 2 * 3600


def test_aggregate_forms_equal_the_list_forms():
    answers = [7, 5, 3, 6, 6, 2, 7]
    from_list = kpis.ces(answers)
    from_sums = kpis.ces_from_sums(len(answers), sum(answers), sum(a * a for a in answers))
    assert from_sums.value == pytest.approx(from_list.value)
    assert from_sums.low == pytest.approx(from_list.low)
    assert from_sums.high == pytest.approx(from_list.high)
    scores = [10, 9, 9, 8, 7, 6, 0, 10, 5, 9]
    assert kpis.nps_from_counts(5, 3, 10) == kpis.nps(scores)


def test_nps_counts_must_fit_n():
    with pytest.raises(ValueError):
        kpis.nps_from_counts(6, 5, 10)


def test_csat_mean_puts_7_point_answers_on_the_5_point_basis():
    # 7 of 7 -> 5, 4 of 7 -> 3, 3 of 5 -> 3: mean 11/3 (hand computed)
    assert kpis.csat_mean([(7, 7), (4, 7), (3, 5)]).value == pytest.approx(11 / 3)


def _sums(scores, probabilities):
    """ScoreSums as a database sums them: one plain sum per column."""
    weights = [1 / p for p in probabilities]
    return kpis.ScoreSums(
        len(scores),
        min(probabilities),
        max(probabilities),
        sum(scores),
        sum(y * y for y in scores),
        sum(weights),
        sum(w * y for w, y in zip(weights, scores, strict=True)),
        sum(w * w for w in weights),
        sum(w * w * y for w, y in zip(weights, scores, strict=True)),
        sum(w * w * y * y for w, y in zip(weights, scores, strict=True)),
    )


def _same(a, b):
    assert a.n == b.n
    for x, y in ((a.value, b.value), (a.low, b.low), (a.high, b.high)):
        assert (x is None and y is None) or abs(x - y) < 1e-9


@pytest.mark.parametrize("seed", range(20))
def test_iqs_from_sums_equals_iqs_of_the_rows(seed):
    """The agents page sums scores in the database (issue #11 §1): the same estimate to 1e-9,
    equal-probability samples (the t interval) and unequal ones (Hájek), groups added and
    scores shifted by a reviewer's offset alike."""
    import random

    from supportqa.core.sampling import pooled_sd, pooled_within_sd

    rng = random.Random(seed)
    n = rng.choice([1, 2, 3, 17, 400])
    constant = rng.choice([None, 250 / 3, 87.5])
    scores = [constant or rng.choice([0.0, 100.0, rng.uniform(40, 100)]) for _ in range(n)]
    unequal = [rng.choice([0.05, 0.25, 1.0]) for _ in range(n)]
    equal = [0.3] * n
    for probabilities in (unequal, equal):
        _same(kpis.iqs_from_sums(_sums(scores, probabilities)), kpis.iqs(scores, probabilities))
        cut = rng.randrange(n + 1)
        parts = [(scores[:cut], probabilities[:cut]), (scores[cut:], probabilities[cut:])]
        added = sum((_sums(*p) for p in parts if p[0]), kpis.ScoreSums())
        _same(kpis.iqs_from_sums(added), kpis.iqs(scores, probabilities))
        offset = rng.uniform(-15, 15)
        shifted = [y - offset for y in scores]
        _same(
            kpis.iqs_from_sums(_sums(scores, probabilities).shifted(offset)),
            kpis.iqs(shifted, probabilities),
        )
    groups = [scores[: n // 2], scores[n // 2 :]]
    spreads = [(len(g), _sums(g, [1.0] * len(g)).within_squares) for g in groups if g]
    if pooled_within_sd(groups) is None:
        assert pooled_sd(spreads) is None
    else:
        assert abs(pooled_sd(spreads) - pooled_within_sd(groups)) < 1e-9
    assert kpis.iqs_from_sums(kpis.ScoreSums()) == kpis.iqs([])


def test_iqs_from_sums_refuses_impossible_probabilities():
    with pytest.raises(ValueError, match="inclusion probabilities"):
        kpis.iqs_from_sums(_sums([50.0, 60.0], [0.5, 1.5]))
