"""`supportqa stats agreement` on analysts' CSV files (reference values: Krippendorff 2011,
Gwet 2014 via irrCAC — see tests/core/test_agreement.py)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "irr_reference"


def run(*args: str) -> str:
    out = StringIO()
    call_command("stats", "agreement", *args, stdout=out)
    return out.getvalue()


def test_fleiss_on_units_by_raters_with_missing_cells(tmp_path):
    output = run(str(DATA / "irrcac_raw_4raters.csv"), "--metric", "fleiss")
    assert "coefficient  0.7612" in output  # Gwet 2014 / irrCAC: 0.761, se 0.153
    assert "SE           0.1530" in output
    assert "95% CI       0.4244 to 1.0000" in output


def test_krippendorff_ordinal_on_raters_by_units():
    output = run(
        str(DATA / "krippendorff_2011_4coders_12units.csv"),
        "--layout",
        "raters-by-units",
        "--metric",
        "krippendorff",
        "--level",
        "ordinal",
    )
    assert "coefficient  0.8154" in output  # Krippendorff (2011): 0.815


def test_cohen_needs_exactly_two_raters():
    with pytest.raises(CommandError, match="exactly two raters"):
        run(str(DATA / "irrcac_raw_4raters.csv"), "--metric", "cohen")


def test_ragged_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,a,b\n1,1,2\n2,1\n")
    with pytest.raises(CommandError, match="line 3"):
        run(str(bad), "--metric", "fleiss")


def test_missing_file_is_reported():
    with pytest.raises(CommandError, match="no such file"):
        run("/nonexistent.csv", "--metric", "fleiss")


def test_sample_plan_uses_the_pooled_sd_of_reviews(cast):
    from tests.conftest import make_conversation, submitted_review

    for i, position in enumerate([0, 2, 0, 2]):  # agent: 100, 0, 100, 0 -> SD 57.7
        submitted_review(make_conversation(cast.agent, cast.team, f"p{i}"), cast.qa, position)
    out = StringIO()
    call_command("sample", "plan", "--margin", "10", stdout=out)
    text = out.getvalue()
    # s = sqrt(3 * 2500... ) : values 100,0,100,0 -> s^2 = 10000/3 -> s = 57.735
    # n = ceil((1.96 * 57.735 / 10)^2) = ceil(128.05) = 129
    assert "SD 57.7" in text and "129 reviews per agent" in text
    agent_line = next(line for line in text.splitlines() if line.startswith("Agent "))
    assert agent_line.split()[-2:] == ["4", "125"]


def test_sample_plan_without_data_asks_for_sd(db):
    with pytest.raises(CommandError, match="pass --sd"):
        call_command("sample", "plan", "--margin", "5", stdout=StringIO())
    out = StringIO()
    call_command("sample", "plan", "--margin", "5", "--sd", "25", stdout=out)
    assert "97 reviews per agent" in out.getvalue()
