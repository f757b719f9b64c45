"""Request categorization: word and character TF-IDF with a calibrated linear SVM.

Train on labelled texts, predict a label with a confidence (Platt-scaled probability from
3-fold calibration). The model file is a joblib pickle with a format header: it loads only
with the same major scikit-learn version, which `load` checks and names when it does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

FORMAT = "supportqa-classifier/1"


class ModelError(ValueError):
    pass


def pipeline() -> Pipeline:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(features, CalibratedClassifierCV(LinearSVC(C=0.5), cv=3))


@dataclass
class Classifier:
    model: Pipeline

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.model.classes_]

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        probabilities = self.model.predict_proba(list(texts))
        best = probabilities.argmax(axis=1)
        return [(self.labels[i], float(p[i])) for i, p in zip(best, probabilities, strict=True)]

    def save(self, path: Path) -> None:
        joblib.dump(
            {"format": FORMAT, "sklearn": sklearn.__version__, "model": self.model},
            path,
            compress=3,
        )


def train(texts: Sequence[str], labels: Sequence[str]) -> Classifier:
    if len(texts) != len(labels) or not texts:
        raise ModelError("training needs as many labels as texts, and at least one of each")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        raise ModelError("training needs at least two different labels")
    thin = sorted(label for label, n in counts.items() if n < 3)
    if thin:
        raise ModelError(
            f"every label needs at least 3 examples; too few for: {', '.join(thin[:5])}"
        )
    model = pipeline()
    model.fit(list(texts), list(labels))
    return Classifier(model)


def load(path: Path) -> Classifier:
    try:
        bundle: Any = joblib.load(path)
    except Exception as exc:  # joblib raises many kinds; the reason goes to the user
        raise ModelError(f"{path}: not a SupportQA model file ({exc})") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ModelError(f"{path}: not a SupportQA model file")
    if str(bundle["sklearn"]).split(".")[0] != sklearn.__version__.split(".")[0]:
        raise ModelError(
            f"{path}: trained with scikit-learn {bundle['sklearn']}, "
            f"this installation has {sklearn.__version__}"
        )
    return Classifier(bundle["model"])
