"""AutoQA's evaluation against people's labels, checked on published worked examples."""

from __future__ import annotations

import re

import pytest

from supportqa.core.autoqa.evaluate import (
    Label,
    correlation_interval,
    evaluate,
    f1_interval,
    summary_line,
)


def binary(rows: list[tuple[int, float | None]], **options):
    labels = [Label(f"c{i}", "greeting", truth, "binary") for i, (truth, _) in enumerate(rows)]
    found = {(f"c{i}", "greeting"): score for i, (_, score) in enumerate(rows)}
    (report,) = evaluate(labels, found, **options)
    return report


def test_binary_figures_on_the_cohen_kappa_worked_example():
    """Wikipedia, "Cohen's kappa", first example: of 50 grant proposals both readers said yes
    to 20, A yes and B no to 5, A no and B yes to 10, both no to 15; p_o = 0.7, p_e = 0.5,
    κ = 0.4. People are reader A, the detector reader B."""
    rows = [(1, 1.0)] * 20 + [(1, 0.0)] * 5 + [(0, 1.0)] * 10 + [(0, 0.0)] * 15
    report = binary(rows)
    c = report.counts
    assert (c.tp, c.fn, c.fp, c.tn, c.n, c.positives) == (20, 5, 10, 15, 50, 25)
    assert report.kappa.value == pytest.approx(0.4)
    assert c.precision.value == pytest.approx(20 / 30)
    assert c.recall.value == pytest.approx(20 / 25)
    assert report.f1.value == pytest.approx(40 / 55)
    assert c.absent_precision.value == pytest.approx(15 / 20)  # the detector's no: 5 + 15
    assert c.absent_recall.value == pytest.approx(15 / 25)  # people's no: 10 + 15
    assert report.f1.low < report.f1.value < report.f1.high
    assert report.kappa.ci_low < 0.4 < report.kappa.ci_high


def test_recall_interval_is_wilsons():
    """Wilson (1927) via Newcombe (1998), Table I example: 81 of 263 → 0.2553 to 0.3662."""
    rows = [(1, 1.0)] * 81 + [(1, 0.0)] * 182
    recall = binary(rows).counts.recall
    assert (recall.low, recall.high) == (
        pytest.approx(0.2553, abs=5e-4),
        pytest.approx(0.3662, abs=5e-4),
    )


def test_not_applying_is_a_miss_unless_skipped_and_the_curve_has_every_threshold():
    rows = [(1, 1.0), (1, None), (0, 0.5), (0, None), (1, 0.5)]
    missed = binary(rows)
    assert (missed.counts.n, missed.counts.fn, missed.not_applied) == (5, 2, 2)
    skipped = binary(rows, na="skip")
    assert (skipped.counts.n, skipped.counts.fn) == (3, 1)
    assert [p.threshold for p in missed.curve] == [0.5, 1.0]
    at_half = missed.curve[0]
    assert (at_half.hits, at_half.precision, at_half.recall) == (3, 2 / 3, 2 / 3)
    lower = binary(rows, threshold=0.5).counts
    assert (lower.tp, lower.fp) == (2, 1)


def test_the_f1_interval_is_repeatable_and_narrows_with_more_data():
    small = f1_interval(20, 10, 5, 15)
    assert small == f1_interval(20, 10, 5, 15)
    large = f1_interval(200, 100, 50, 150)
    assert large.high - large.low < small.high - small.low
    assert large.value == pytest.approx(small.value)


def test_score_labels_on_published_examples():
    """Anscombe (1973), data set I: Pearson r = 0.816. Wikipedia, "Spearman's rank
    correlation coefficient", IQ against hours of TV a week: ρ = −29/165 = −0.1758."""
    x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
    y = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]
    labels = [Label(f"a{i}", "readability", v, "score") for i, v in enumerate(x)]
    (report,) = evaluate(labels, {(f"a{i}", "readability"): v for i, v in enumerate(y)})
    assert report.pearson.value == pytest.approx(0.81642, abs=1e-4)
    iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110]
    tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17]
    labels = [Label(f"b{i}", "readability", v, "score") for i, v in enumerate(iq)]
    found = {(f"b{i}", "readability"): v / 100 for i, v in enumerate(tv)}
    found[("b10", "readability")] = None  # a text the detector cannot read: left out
    labels.append(Label("b10", "readability", 90, "score"))
    (report,) = evaluate(labels, found)
    assert report.spearman.value == pytest.approx(-29 / 165)
    assert (report.n, report.not_applied) == (10, 1)


def test_fisher_z_interval():
    """r = 0.5 with n = 28: z = atanh(0.5) = 0.549, SE = 1/5, 95% interval 0.16 to 0.74
    (the textbook Fisher transformation); Spearman's SE is √1.06 times wider (Fieller,
    Hartley & Pearson 1957)."""
    pearson = correlation_interval(0.5, 28)
    assert (round(pearson.low, 2), round(pearson.high, 2)) == (0.16, 0.74)
    spearman = correlation_interval(0.5, 28, spearman=True)
    assert spearman.low < pearson.low and spearman.high > pearson.high


def test_ordering_within_groups():
    """Three levels of one text: the detector puts two of the three pairs in people's order;
    with a second group it orders perfectly, 5 of 6 pairs, and the interval resamples the
    two groups (so its ends are the two groups' own shares)."""
    labels = [Label(f"t{i}", "readability", level, "score", "group=a1") for i, level in
              enumerate([1, 2, 3])]  # fmt: skip
    found = {("t0", "readability"): 0.2, ("t1", "readability"): 0.6, ("t2", "readability"): 0.4}
    (report,) = evaluate(labels, found)
    assert report.ordering.value == pytest.approx(2 / 3) and report.ordering.n == 3
    labels += [Label(f"u{i}", "readability", level, "score", "group=b2") for i, level in
               enumerate([1, 2, 3])]  # fmt: skip
    found |= {(f"u{i}", "readability"): score for i, score in enumerate([0.1, 0.5, 0.9])}
    (report,) = evaluate(labels, found)
    assert report.ordering.value == pytest.approx(5 / 6) and report.ordering.n == 6
    assert report.ordering.low == pytest.approx(2 / 3) and report.ordering.high == 1.0


def test_the_curve_is_one_sweep_and_thinned():
    from supportqa.core.autoqa.evaluate import CURVE_POINTS, pr_curve

    pairs = [(i % 2, i / 1000) for i in range(1000)]
    curve = pr_curve(pairs)
    assert len(curve) == CURVE_POINTS
    assert curve[0].threshold == 0.0 and curve[0].recall == 1.0 and curve[0].hits == 1000
    assert curve[-1].threshold == 0.999 and curve[-1].hits == 1 and curve[-1].precision == 1.0


def test_applies_and_the_summary_line():
    labels = [Label(f"n{i}", "name", truth, "applies") for i, truth in enumerate([1, 1, 0, 0])]
    found = {("n0", "name"): 1.0, ("n1", "name"): None, ("n2", "name"): 0.5, ("n3", "name"): None}
    (report,) = evaluate(labels, found)
    assert (report.counts.tp, report.counts.fn, report.counts.fp, report.counts.tn) == (1, 1, 1, 1)
    line = summary_line("name", [report])
    assert line == "detector name: n=4 precision=0.5000 recall=0.5000"
    both = evaluate(
        [Label("p", "politeness", 1, "binary"), Label("p", "politeness", 0.8, "score"),
         Label("q", "politeness", 0, "binary"), Label("q", "politeness", 0.1, "score"),
         Label("r", "politeness", 1, "binary"), Label("r", "politeness", 0.5, "score"),
         Label("s", "politeness", 0, "binary"), Label("s", "politeness", 0.3, "score")],
        {("p", "politeness"): 1.0, ("q", "politeness"): 0.0, ("r", "politeness"): 0.5,
         ("s", "politeness"): 0.5},
    )  # fmt: skip
    line = summary_line("politeness", list(reversed(both)))
    assert re.fullmatch(
        r"detector politeness: n=4 precision=\S+ recall=\S+ f1=\S+ kappa=\S+ accuracy=0.7500 "
        r"n_score=4 pearson=\S+ spearman=\S+",
        line,
    )


def test_a_label_without_its_conversation_is_an_error():
    from supportqa.core.autoqa.evaluate import LabelError

    with pytest.raises(LabelError, match="missing"):
        evaluate([Label("missing", "greeting", 1, "binary")], {})


def test_kappa_is_not_given_when_one_side_never_changes():
    """A detector that says yes to everything: κ would be 0 with a zero-width interval."""
    always = binary([(1, 1.0), (0, 1.0), (1, 1.0), (0, 1.0)])
    assert always.kappa is None
    assert "kappa=nan" in summary_line("greeting", [always])
