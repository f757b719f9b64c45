"""Request categorization on real customer queries (BANKING77, Casanueva et al. 2020)."""

from __future__ import annotations

import csv
from collections import defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportqa.core.classify import ModelError, load, train

BANKING = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "train.csv"
pytestmark = pytest.mark.skipif(not BANKING.exists(), reason="shared data not present")


def subset(classes: int = 12, train_n: int = 30, test_n: int = 15):
    by_label: dict[str, list[str]] = defaultdict(list)
    with BANKING.open() as handle:
        for row in csv.DictReader(handle):
            by_label[row["category"]].append(row["text"])
    labels = sorted(by_label)[:classes]
    train_rows = [(t, lab) for lab in labels for t in by_label[lab][:train_n]]
    test_rows = [(t, lab) for lab in labels for t in by_label[lab][train_n : train_n + test_n]]
    return train_rows, test_rows


def test_held_out_accuracy_on_a_banking77_subset():
    train_rows, test_rows = subset()
    model = train([t for t, _ in train_rows], [lab for _, lab in train_rows])
    predictions = model.predict([t for t, _ in test_rows])
    accuracy = sum(p == lab for (p, _), (_, lab) in zip(predictions, test_rows, strict=True))
    accuracy /= len(test_rows)
    print(f"BANKING77 subset (12 intents, 30 train / 15 test each): accuracy {accuracy:.3f}")
    assert accuracy >= 0.85
    assert all(0 < confidence <= 1 for _, confidence in predictions)


def test_training_refuses_unusable_data():
    with pytest.raises(ModelError, match="two different labels"):
        train(["a", "b", "c"], ["x", "x", "x"])
    with pytest.raises(ModelError, match="at least 3 examples"):
        train(["a", "b", "c", "d"], ["x", "x", "x", "y"])


def test_cli_train_and_predict_round_trip(tmp_path):
    train_rows, test_rows = subset(classes=6, train_n=20, test_n=5)
    data = tmp_path / "train.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["query", "intent"])
        writer.writerows(train_rows)
    model = tmp_path / "model.joblib"
    out = StringIO()
    call_command(
        "classify",
        "train",
        "--data",
        str(data),
        "--text-col",
        "query",
        "--label-col",
        "intent",
        "--model",
        str(model),
        stdout=out,
    )
    assert "6 labels" in out.getvalue()
    new = tmp_path / "new.csv"
    new.write_text("query\n" + "\n".join(f'"{t}"' for t, _ in test_rows) + "\n")
    predictions = tmp_path / "pred.csv"
    call_command(
        "classify",
        "predict",
        "--model",
        str(model),
        "--data",
        str(new),
        "--text-col",
        "query",
        "--out",
        str(predictions),
        stdout=StringIO(),
    )
    with predictions.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["text", "predicted_label", "confidence"]
    assert len(rows) == len(test_rows)
    assert load(model).labels == sorted({lab for _, lab in train_rows})


def test_cli_errors_name_the_problem(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("text,label\nhello,a\n")
    with pytest.raises(CommandError, match="column 'intent' is not in the header"):
        call_command(
            "classify",
            "train",
            "--data",
            str(data),
            "--text-col",
            "text",
            "--label-col",
            "intent",
            "--model",
            str(tmp_path / "m"),
        )
    bogus = tmp_path / "bogus.joblib"
    bogus.write_text("not a model")
    with pytest.raises(CommandError, match="not a SupportQA model file"):
        call_command(
            "classify",
            "predict",
            "--model",
            str(bogus),
            "--data",
            str(data),
            "--text-col",
            "text",
            "--out",
            str(tmp_path / "o.csv"),
        )
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "classify",
            "train",
            "--data",
            str(tmp_path / "missing.csv"),
            "--text-col",
            "text",
            "--label-col",
            "label",
            "--model",
            "x",
        )


class KeywordEncoder:
    """Stands in for MiniLM: a 3-d 'embedding' that knows a few words."""

    WORDS = ("card", "transfer", "cash")

    def encode(self, texts, **options):
        import numpy as np

        vectors = np.array([[float(w in t.lower()) for w in self.WORDS] for t in texts]) + 0.01
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_embeddings_blend_a_second_model_and_the_file_says_so(tmp_path, monkeypatch):
    from supportqa.core import classify

    texts = [f"my {w} problem number {i}" for w in KeywordEncoder.WORDS for i in range(6)]
    labels = [w for w in KeywordEncoder.WORDS for _ in range(6)]
    model = train(texts, labels, embeddings=KeywordEncoder())
    assert isinstance(model.model, classify.Blend) and model.embeddings
    assert [p for p, _ in model.predict(["the card again", "cash please"])] == ["card", "cash"]
    probabilities = model.model.predict_proba(["the card again"])
    assert probabilities.sum() == pytest.approx(1.0)
    lexical = model.model.lexical_.predict_proba(["the card again"])
    assert probabilities[0].max() > lexical[0].max()  # the embeddings agree and add certainty
    path = tmp_path / "model.joblib"
    model.save(path)
    monkeypatch.setattr(classify, "embeddings_available", lambda: False)
    with pytest.raises(ModelError, match=r"trained with sentence embeddings; install"):
        load(path)
    with pytest.raises(ModelError, match="optional extra"):
        train(texts, labels, embeddings=True)


def test_the_embedding_model_learns_each_label_name_as_an_example():
    # The texts say nothing about their label; only the label names carry the keywords.
    texts = [f"my problem number {i}" for i in range(18)]
    labels = [f"{KeywordEncoder.WORDS[i % 3]}_issue" for i in range(18)]
    model = train(texts, labels, embeddings=KeywordEncoder())
    predicted = [p for p, _ in model.predict(["card", "a transfer", "cash"])]
    assert predicted == ["card_issue", "transfer_issue", "cash_issue"]


def test_a_model_file_of_another_format_version_asks_for_retraining(tmp_path):
    import joblib

    path = tmp_path / "old.joblib"
    joblib.dump({"format": "supportqa-classifier/1", "sklearn": "1.0", "model": None}, path)
    with pytest.raises(ModelError, match=r"another SupportQA version .* train it again"):
        load(path)
