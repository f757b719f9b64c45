"""Agreement coefficients against published reference values.

Sources (see ../shared/data/irr_reference/PROVENANCE.md):
* irrCAC test suite (Python port of K. Gwet's R package irrCAC), datasets from Gwet,
  *Handbook of Inter-Rater Reliability*, 4th ed. (2014): 159 cases, values rounded to 3 dp.
* Krippendorff (2011), *Computing Krippendorff's Alpha-Reliability*: α at four levels.
* Fleiss (1971) diagnoses data via R irr `kappam.fleiss`; Wikipedia's Fleiss κ example;
  SAS PROC FREQ Cohen's κ example; Wikipedia's Cohen's κ example.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from supportqa.core.agreement import (
    AgreementError,
    krippendorff_alpha,
    raw_agreement,
    table_agreement,
    weight_matrix,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "irr_reference"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="shared reference data not present")


def read_raw(name: str) -> list[list[object]]:
    with (DATA / f"irrcac_{name}.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    raters = [k for k in rows[0] if k not in ("Group", "Units")]

    def cell(value: str) -> object:
        if value == "":
            return None
        try:
            return float(value)
        except ValueError:
            return value

    return [[cell(row[r]) for r in raters] for row in rows]


def read_table(name: str) -> list[list[float]]:
    with (DATA / f"irrcac_{name}.csv").open() as handle:
        rows = list(csv.reader(handle))[1:]
    return [[float(v) for v in row[1:]] for row in rows]


def irrcac_cases() -> list[dict[str, str]]:
    if not DATA.exists():
        return []
    with (DATA / "irrcac_expected.csv").open() as handle:
        return list(csv.DictReader(handle))


def case_id(case: dict[str, str]) -> str:
    return f"{case['input_type']}-{case['dataset']}-{case['coefficient']}-{case['weights']}"


@pytest.mark.parametrize("case", irrcac_cases(), ids=case_id)
def test_irrcac_reference_case(case):
    weights = json.loads(case["custom_weights"]) if case["weights"] == "custom" else case["weights"]
    name = "percent" if case["coefficient"] == "pa2" else case["coefficient"]
    if case["input_type"] == "table":
        result = table_agreement(read_table(case["dataset"]), name, weights)
    else:
        result = raw_agreement(read_raw(case["dataset"]), name, weights)
    at_3dp = 0.0005 + 1e-9
    assert result.value == pytest.approx(float(case["coefficient_value"]), abs=at_3dp)
    assert result.value == pytest.approx(float(case["full_coefficient_value"]), abs=1e-6)
    checks = [
        ("se", result.se),
        ("ci_lower", result.ci_low),
        ("ci_upper", result.ci_high),
        ("pa", result.pa),
    ]
    if case["coefficient"] not in ("scott", "pa2"):  # irrCAC reports pe = 0 for these
        checks.append(("pe", result.pe))
    compared = 0
    for column, actual in checks:  # the columns irrCAC's test asserts for this case
        if case[column] != "":
            assert actual == pytest.approx(float(case[column]), abs=at_3dp), column
            compared += 1
    if case["full_se"] != "":
        assert result.se == pytest.approx(float(case["full_se"]), abs=1e-6)
    if case["p_value"] != "":
        tolerance = 0.5 * 10 ** -int(case["p_value_rounding"]) + 1e-12
        expected_p = float(case["p_value"])
        if case["input_type"] == "raw" and case["coefficient"] == "bp":
            # irrCAC reports a one-sided p for raw Brennan–Prediger (PROVENANCE.md)
            expected_p, tolerance = 2 * expected_p, 2 * tolerance
        assert result.p_value == pytest.approx(expected_p, abs=tolerance)
    assert compared or case["full_se"] == ""


def test_krippendorff_2011_alpha_at_four_levels():
    with (DATA / "krippendorff_2011_4coders_12units.csv").open() as handle:
        rows = list(csv.reader(handle))[1:]
    coders = [[float(v) if v else None for v in row[1:]] for row in rows]
    units = [list(unit) for unit in zip(*coders, strict=True)]
    with (DATA / "krippendorff_expected.csv").open() as handle:
        expected = {
            r["level_of_measurement"]: r
            for r in csv.DictReader(handle)
            if r["data_file"].startswith("krippendorff_2011")
        }
    for level, row in expected.items():
        alpha = krippendorff_alpha(units, level)
        assert alpha == pytest.approx(float(row["published_or_test_value"]), abs=0.0005)
        assert alpha == pytest.approx(float(row["computed_krippendorff_0_9_0"]), abs=1e-9)


def test_fleiss_1971_diagnoses_matches_r_irr():
    with (DATA / "fleiss1971_diagnoses_30subjects_6raters.csv").open() as handle:
        rows = list(csv.reader(handle))[1:]
    ratings = [[float(v) for v in row[-6:]] for row in rows]
    assert raw_agreement(ratings, "fleiss").value == pytest.approx(0.4302445, abs=1e-7)


def test_fleiss_wikipedia_counts_example():
    with (DATA / "fleiss_wikipedia_10subjects_14raters_counts.csv").open() as handle:
        rows = list(csv.reader(handle))[1:]
    counts = [[int(v) for v in row[-5:]] for row in rows]
    # expand category counts into 14 raw ratings per subject
    ratings = [[k for k, c in enumerate(row, start=1) for _ in range(c)] for row in counts]
    assert raw_agreement(ratings, "fleiss").value == pytest.approx(0.2099307, abs=1e-7)


def test_cohen_sas_and_textbook_tables():
    with (DATA / "sas_cohen_3x3_table.csv").open() as handle:
        rows = list(csv.reader(handle))
    table = [[float(v) for v in row[-3:]] for row in rows if row and row[-1].strip().isdigit()]
    unweighted = table_agreement(table, "cohen")
    assert unweighted.value == pytest.approx(0.4842, abs=5e-5)
    # SAS PROC FREQ's asymptotic SE (Fleiss, Cohen & Everitt 1969) equals Gwet's linearisation
    assert unweighted.se == pytest.approx(0.1380, abs=5e-5)
    z = 1.959964
    assert unweighted.value - z * unweighted.se == pytest.approx(0.2137, abs=5e-5)
    assert unweighted.value + z * unweighted.se == pytest.approx(0.7547, abs=5e-5)
    linear = table_agreement(table, "cohen", "linear")
    assert linear.value == pytest.approx(0.4701, abs=5e-5)
    assert linear.se == pytest.approx(0.1457, abs=5e-5)
    assert linear.value - z * linear.se == pytest.approx(0.1845, abs=5e-5)
    assert linear.value + z * linear.se == pytest.approx(0.7558, abs=5e-5)
    assert table_agreement([[20, 5], [10, 15]], "cohen").value == pytest.approx(0.40)


def test_weights_known_values():
    quadratic = weight_matrix("quadratic", [1, 2, 3])
    assert quadratic[0, 1] == pytest.approx(0.75) and quadratic[0, 2] == 0
    assert weight_matrix("linear", [1, 2, 3])[0, 1] == pytest.approx(0.5)
    assert (weight_matrix("unweighted", [1, 2]) == [[1, 0], [0, 1]]).all()
    with pytest.raises(AgreementError):
        weight_matrix("ratio", [0, 1, 2])
    with pytest.raises(AgreementError):
        weight_matrix("cubic", [1, 2])


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(AgreementError, match="square"):
        table_agreement([[1, 2, 3], [4, 5, 6]], "cohen")
    with pytest.raises(AgreementError, match="two raters"):
        raw_agreement([[1, None], [None, 2]], "fleiss")
    with pytest.raises(AgreementError, match="unknown coefficient"):
        raw_agreement([[1, 1], [2, 1]], "magic")


def test_level_weights_give_krippendorff_alpha_with_a_standard_error():
    from supportqa.core.agreement import level_weights

    with (DATA / "krippendorff_2011_4coders_12units.csv").open() as handle:
        rows = list(csv.reader(handle))[1:]
    coders = [[float(v) if v else None for v in row[1:]] for row in rows]
    units = [list(unit) for unit in zip(*coders, strict=True)]
    for level in ("nominal", "ordinal", "interval", "ratio"):
        result = raw_agreement(units, "krippendorff", level_weights(units, level))
        assert result.value == pytest.approx(krippendorff_alpha(units, level), abs=1e-12)
        assert 0 < result.se < 1 and result.ci_low < result.value <= result.ci_high


def test_probabilistic_benchmarking_matches_irrcac():
    from supportqa.core.agreement import benchmark

    with (DATA / "irrcac_benchmark_expected.csv").open() as handle:
        cases = list(csv.DictReader(handle))
    names = {
        "Altman": "altman",
        "Cicchetti-Sparrow": "cicchetti-sparrow",
        "Fleiss": "fleiss",
        "Landis-Koch": "landis-koch",
        "Regier": "regier",
    }
    for case in cases:
        lows = [float(v) for v in case["band_lower_bounds"].split(";")]
        highs = [float(v) for v in case["band_upper_bounds"].split(";")]
        labels = case["band_labels"].split(";")
        scale = names.get(case["benchmark_scale"]) or list(zip(labels, lows, highs, strict=True))
        bands = benchmark(float(case["coefficient"]), float(case["standard_error"]), scale)
        expected = [
            float(v) for v in case["expected_cumulative_membership_probabilities"].split(";")
        ]
        assert [b.cumulative for b in bands] == pytest.approx(expected, abs=5e-5), case[
            "benchmark_scale"
        ]
        assert [(b.lower, b.upper) for b in bands] == list(zip(lows, highs, strict=True))


def test_interpretation_takes_the_band_reaching_95_percent():
    from supportqa.core.agreement import interpret

    assert interpret(0.67, 0.15, "landis-koch") == "Moderate"  # cumulative 0.96356 there
    assert interpret(0.95, 0.01, "landis-koch") == "Almost perfect"


def test_numeric_array_input_equals_list_input():
    import numpy as np

    rows = read_raw("raw_4raters")
    array = np.array([[np.nan if v is None else v for v in row] for row in rows])
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(array, level) == pytest.approx(
            krippendorff_alpha(rows, level), abs=1e-15
        )
    for coefficient in ("fleiss", "conger", "gwet", "bp"):
        assert raw_agreement(array, coefficient).value == pytest.approx(
            raw_agreement(rows, coefficient).value, abs=1e-15
        )


def test_weight_matrices_match_irrcac():
    with (DATA / "irrcac_weights_expected.csv").open() as handle:
        cases = list(csv.DictReader(handle))
    for case in cases:
        values = [float(v) for v in case["categories"].split(",")]
        if case["row1"].startswith("(raises"):
            with pytest.raises(AgreementError):
                weight_matrix(case["weights"], values)
            continue
        expected = [[float(v) for v in case[f"row{i}"].split(",")] for i in (1, 2, 3)]
        actual = weight_matrix(case["weights"], values)
        assert actual.tolist() == [pytest.approx(row, abs=5e-4) for row in expected], case[
            "weights"
        ]


def test_ordinal_kappa_builds_the_table_and_keeps_unused_scale_points():
    from supportqa.core.agreement import ordinal_kappa

    pairs = [(0, 0), (0, 100), (100, 100), (100, 100), (0, 0)]
    on_two = ordinal_kappa(pairs, [0, 100])
    expected = table_agreement([[2, 1], [0, 2]], "cohen", weights="quadratic")
    assert on_two.value == pytest.approx(expected.value)
    # With the scale's middle point (50) unused, the weights' distances change.
    on_three = ordinal_kappa(pairs, [0, 50, 100])
    table = [[2, 0, 1], [0, 0, 0], [0, 0, 2]]
    assert on_three.value == pytest.approx(
        table_agreement(table, "cohen", weights="quadratic").value
    )
    assert ordinal_kappa([(50, 50), (50, 50)], [50]) is None
