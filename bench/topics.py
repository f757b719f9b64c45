"""Topic discovery quality on DSTC11 Track 2 (Gung et al. 2023, arXiv:2304.12982): the
insurance test utterances (913 customer turns, 22 gold intents), scored as the challenge scores
intent induction (accuracy after a one-to-one Hungarian matching, NMI), over five seeds, with
the gold number of topics and with the automatic √(n/2).

    .venv/bin/python bench/topics.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from supportqa.core.topics import cluster_accuracy, discover, nmi  # noqa: E402

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared/data/dstc11_intent/insurance_development_test-utterances.jsonl"
)


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    texts, gold = [r["utterance"] for r in rows], [r["intent"] for r in rows]
    print(f"\nDSTC11 insurance: {len(texts)} utterances, {len(set(gold))} intents")
    print(f"{'topics':18}{'accuracy':>18}{'NMI':>18}{'seconds':>10}")
    for k in (22, None):
        accuracy, information, seconds = [], [], []
        for seed in range(5):
            began = time.perf_counter()
            found = discover(texts, k, seed=seed)
            seconds.append(time.perf_counter() - began)
            accuracy.append(cluster_accuracy(gold, found.assignment))
            information.append(nmi(gold, found.assignment))
        name = "22 (gold)" if k else f"{len(found.topics)} (√(n/2))"
        print(
            f"{name:18}{_summary(accuracy):>18}{_summary(information):>18}"
            f"{statistics.mean(seconds):>10.2f}"
        )
    print("(mean, and the range over seeds 0–4)")


def _summary(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ({min(values):.2f}–{max(values):.2f})"


if __name__ == "__main__":
    main()
