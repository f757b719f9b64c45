"""Topic discovery scored as DSTC11 Track 2 scores intent induction (Gung et al. 2023,
arXiv:2304.12982: accuracy after a one-to-one Hungarian matching, and NMI), on its insurance
test utterances (913 customer turns, 22 gold intents); and the emerging-topic test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportqa.core.topics import cluster_accuracy, discover, growth, nmi

DATA = (
    Path(__file__).resolve().parents[3]
    / "shared/data/dstc11_intent/insurance_development_test-utterances.jsonl"
)


def test_topics_recover_the_gold_intents_of_dstc11_insurance():
    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    texts, gold = [r["utterance"] for r in rows], [r["intent"] for r in rows]
    found = discover(texts, 22, seed=0)
    # Measured: accuracy 0.714 and NMI 0.812 at seed 0 (0.68–0.75 and 0.81–0.85 over seeds
    # 0–4). These settings were chosen on this file, the only DSTC11 domain here.
    assert cluster_accuracy(gold, found.assignment) > 0.66
    assert nmi(gold, found.assignment) > 0.78
    assert len(found.topics) == 22 and sum(t.size for t in found.topics) == 913
    quotes = next(t for t in found.topics if "quote" in t.terms)
    assert all("quote" in texts[i].lower() for i in quotes.examples)
    assert len(discover(texts, seed=0).topics) == 21  # √(913 / 2)


def test_accuracy_matches_topics_to_intents_one_to_one():
    gold = ["a", "a", "b", "b", "c", "c"]
    assert cluster_accuracy(gold, [5, 5, 7, 7, 9, 9]) == 1.0  # names do not matter
    assert cluster_accuracy(gold, [1, 1, 1, 1, 2, 2]) == pytest.approx(4 / 6)  # one of a/b
    assert nmi(gold, [5, 5, 7, 7, 9, 9]) == pytest.approx(1.0)


def test_a_topic_is_emerging_when_its_share_grows_not_when_volume_does():
    totals = [100, 100, 100, 100, 200]
    weekly = {
        1: [10, 10, 10, 10, 20],  # doubles with all volume: same share
        2: [2, 3, 2, 3, 30],  # from 2.5% to 15%
        3: [0, 0, 0, 0, 2],  # new, but only two contacts
    }
    found = {g.topic: g for g in growth(weekly, totals)}
    assert not found[1].emerging and found[1].share == pytest.approx(found[1].usual)
    assert found[2].emerging and found[2].q_value < 0.001
    assert not found[3].emerging
    with pytest.raises(ValueError):
        growth(weekly, [100])
