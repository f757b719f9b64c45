from __future__ import annotations

import random

import pytest

from supportqa.core.criterion_model import Example, NotEnoughData, train


def synthetic(n: int, seed: int = 1) -> list[Example]:
    """The human's rating follows the agent's wording (and a detector), with 10% noise; the
    'rules' guess at random."""
    rng = random.Random(seed)
    examples = []
    for i in range(n):
        level = rng.choice([0.0, 50.0, 100.0])
        words = {0.0: "whatever calm down", 50.0: "ok noted", 100.0: "happy to help thanks"}
        text = f"customer: order {i} is late\nagent: {words[level]} checking order {i}"
        label = level if rng.random() > 0.1 else rng.choice([0.0, 50.0, 100.0])
        detectors = {"politeness": level / 100, "greeting": None}
        examples.append(Example(text, detectors, label, rule=rng.choice([0.0, 50.0, 100.0])))
    return examples


def test_learned_model_beats_random_rules_on_held_out_reviews():
    model, evaluation = train(synthetic(300))
    assert evaluation.n_test == 75 and evaluation.n_train == 225
    assert evaluation.kappa is not None and evaluation.kappa.value > 0.7
    assert evaluation.rule_kappa is not None and abs(evaluation.rule_kappa.value) < 0.3
    assert evaluation.kappa.ci_low > evaluation.rule_kappa.value
    assert evaluation.exact > 0.8
    assert {c.value for c in evaluation.classes} == {0.0, 50.0, 100.0}
    assert all(c.recall is not None and c.recall > 0.6 for c in evaluation.classes)
    value, probability = model.predict("agent: happy to help thanks", {"politeness": 1.0})
    assert value == 100.0 and 1 / 3 < probability <= 1.0


def test_too_few_reviews_or_one_rating_are_refused():
    with pytest.raises(NotEnoughData, match="at least 40"):
        train(synthetic(20))
    same = [Example(f"agent: text {i}", {}, 50.0) for i in range(60)]
    with pytest.raises(NotEnoughData, match="fewer than two options"):
        train(same)


def test_evaluation_serialises_for_the_database():
    _, evaluation = train(synthetic(120))
    stored = evaluation.as_dict()
    assert stored["kappa"]["ci_low"] <= stored["kappa"]["value"] <= stored["kappa"]["ci_high"]
    assert stored["n_test"] == evaluation.n_test
