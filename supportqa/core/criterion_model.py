"""Learned criterion models: predict a human reviewer's rating of one criterion from the
conversation's text and the AutoQA detectors' scores.

Features are word 1–2-gram TF-IDF of the transcript (each message prefixed by its author kind)
beside one column per detector (its 0–1 score; −1 where it does not apply). The model is a
class-balanced multinomial logistic regression, so its probabilities say how sure it is.
`train` measures it on held-out reviews (split by conversation, stratified by rating) against
the humans, and against the rule-based mapping on the same held-out reviews, before refitting
on everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from supportqa.core.agreement import Agreement, ordinal_kappa
from supportqa.core.autoqa import DETECTORS


@dataclass(frozen=True)
class Example:
    text: str
    detectors: Mapping[str, float | None]  # detector → score; None: does not apply
    label: float  # the human's option value, 0–100
    rule: float | None = None  # what the rule-based mapping chose, for comparison


@dataclass(frozen=True)
class ClassReport:
    value: float
    precision: float | None
    recall: float | None
    support: int


@dataclass(frozen=True)
class Evaluation:
    n_train: int
    n_test: int
    kappa: Agreement | None  # Cohen's κ with quadratic weights, model vs humans
    exact: float  # share of held-out reviews where the model chose the human's rating
    classes: list[ClassReport]
    rule_kappa: Agreement | None  # the rule-based mapping on the same held-out reviews
    rule_exact: float | None

    def as_dict(self) -> dict[str, Any]:
        def agreement(a: Agreement | None) -> dict[str, float] | None:
            if a is None:
                return None
            return {"value": a.value, "ci_low": a.ci_low, "ci_high": a.ci_high, "se": a.se}

        return {
            "n_train": self.n_train,
            "n_test": self.n_test,
            "kappa": agreement(self.kappa),
            "exact": self.exact,
            "classes": [c.__dict__ for c in self.classes],
            "rule_kappa": agreement(self.rule_kappa),
            "rule_exact": self.rule_exact,
        }


@dataclass
class CriterionModel:
    vectorizer: TfidfVectorizer
    classifier: LogisticRegression
    classes: list[float] = field(default_factory=list)

    def _features(self, examples: Sequence[Example]) -> Any:
        return _features(self.vectorizer, examples, fit=False)

    def predict(self, text: str, detectors: Mapping[str, float | None]) -> tuple[float, float]:
        """(the predicted option value, its probability)."""
        return self.predict_many([text], [detectors])[0]

    def predict_many(
        self, texts: Sequence[str], detectors: Sequence[Mapping[str, float | None]]
    ) -> list[tuple[float, float]]:
        """`predict` for many transcripts at once (one pass of the vectorizer and model)."""
        probabilities = self.classifier.predict_proba(
            self._features([Example(t, d, 0.0) for t, d in zip(texts, detectors, strict=True)])
        )
        best = np.argmax(probabilities, axis=1)
        return [
            (float(self.classifier.classes_[b]), float(row[b]))
            for b, row in zip(best, probabilities, strict=True)
        ]


class NotEnoughData(ValueError):
    pass


def _features(vectorizer: TfidfVectorizer, examples: Sequence[Example], *, fit: bool) -> Any:
    texts = [e.text for e in examples]
    words = vectorizer.fit_transform(texts) if fit else vectorizer.transform(texts)
    scores = np.array(
        [
            [-1.0 if e.detectors.get(name) is None else float(e.detectors[name] or 0.0)
             for name in DETECTORS]
            for e in examples
        ]
    )  # fmt: skip
    return hstack([words, csr_matrix(scores)]).tocsr()


def _fit(examples: Sequence[Example], seed: int) -> CriterionModel:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = _features(vectorizer, examples, fit=True)
    labels = np.array([e.label for e in examples])
    classifier = LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0)
    classifier.fit(features, labels)
    return CriterionModel(vectorizer, classifier, sorted(set(labels.tolist())))


def train(
    examples: Sequence[Example], *, seed: int = 0, test_share: float = 0.25, minimum: int = 40
) -> tuple[CriterionModel, Evaluation]:
    """Measure on a held-out share, then refit on all examples. Needs `minimum` examples and
    at least two ratings that each occur twice."""
    labels = [e.label for e in examples]
    counts = {v: labels.count(v) for v in set(labels)}
    _require_enough(len(examples), counts, minimum)
    usable = [e for e in examples if counts[e.label] >= 2]
    train_part, test_part = train_test_split(
        usable, test_size=test_share, random_state=seed, stratify=[e.label for e in usable]
    )
    evaluation = _evaluate(_fit(train_part, seed), train_part, test_part, labels)
    return _fit(usable, seed), evaluation


def _require_enough(n_examples: int, counts: Mapping[float, int], minimum: int) -> None:
    if n_examples < minimum:
        raise NotEnoughData(f"{n_examples} human ratings; at least {minimum} are needed")
    if sum(1 for n in counts.values() if n >= 2) < 2:
        raise NotEnoughData("the human ratings use fewer than two options (twice each)")


def _evaluate(
    model: CriterionModel,
    train_part: Sequence[Example],
    test_part: Sequence[Example],
    labels: Sequence[float],
) -> Evaluation:
    """The model, and the rule-based mapping, against the humans on the held-out reviews."""
    predicted = [
        value
        for value, _ in model.predict_many(
            [e.text for e in test_part], [e.detectors for e in test_part]
        )
    ]
    values = sorted(set(labels) | set(predicted))
    truth = [e.label for e in test_part]
    pairs = list(zip(predicted, truth, strict=True))
    rules = [(e.rule, e.label) for e in test_part if e.rule is not None]
    rule_values = sorted(set(values) | {r for r, _ in rules})
    return Evaluation(
        n_train=len(train_part),
        n_test=len(test_part),
        kappa=ordinal_kappa(pairs, values),
        exact=_share_equal(pairs),
        classes=_class_reports(sorted(set(labels)), pairs),
        rule_kappa=ordinal_kappa(rules, rule_values) if rules else None,
        rule_exact=_share_equal(rules) if rules else None,
    )


def _share_equal(pairs: Sequence[tuple[float, float]]) -> float:
    return sum(1 for a, b in pairs if a == b) / len(pairs)


def _class_reports(
    values: Sequence[float], pairs: Sequence[tuple[float, float]]
) -> list[ClassReport]:
    """Precision and recall of each rating, from (predicted, true) pairs."""
    reports = []
    for value in values:
        said = sum(1 for p, _ in pairs if p == value)
        true = sum(1 for _, t in pairs if t == value)
        hit = sum(1 for p, t in pairs if p == t == value)
        reports.append(ClassReport(value, _ratio(hit, said), _ratio(hit, true), true))
    return reports


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
