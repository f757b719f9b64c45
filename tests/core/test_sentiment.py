"""Customer sentiment against human ratings.

Reference: Hutto & Gilbert (2014), VADER, ICWSM — Figure 3: Pearson r = 0.881 between VADER
and the mean of ~20 human raters on 4,200 tweets (../shared/data/vader_ground_truth).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from supportqa.core.sentiment import label, sentiment, trajectory

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "vader_ground_truth"


@pytest.mark.skipif(not DATA.exists(), reason="shared reference data not present")
def test_correlation_with_human_raters_on_tweets():
    rows = [
        line.rstrip("\r\n").split("\t", 2)
        for line in (DATA / "tweets_GroundTruth.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(rows) == 4200
    human = [float(r[1]) for r in rows]
    scores = [sentiment(r[2]) for r in rows]
    r = float(np.corrcoef(scores, human)[0, 1])
    assert r >= 0.87  # paper: 0.881


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thank you so much, that fixed it!", "positive"),
        ("Nothing works and I am very frustrated.", "negative"),
        ("I have a question about my bill.", "neutral"),
        ("The invoice is attached.", "neutral"),
        ("This is NOT acceptable!!!", "negative"),
    ],
)
def test_labels(text, expected):
    assert label(sentiment(text)) == expected


def test_trajectory_from_first_to_last_customer_message():
    path = trajectory(["My card was charged twice, this is terrible.", "ok", "Great, thanks!"])
    assert path.start < 0 < path.end and path.change > 1
    assert path.lowest == path.start
    assert trajectory([]) is None
