"""AutoQA benchmark: rule-based detectors on demo conversations, one core.

    .venv/bin/python bench/autoqa.py [--conversations 20000]

Generates the demo's conversations (the same generator as `supportqa demo`, no database),
then times, in the same run:
  * baseline: one pass over the same text that only lower-cases it and regex-tokenizes it;
  * SupportQA AutoQA: every detector of `supportqa.core.autoqa.analyse` on every conversation,
    with the organisation's frequent replies taken from the same conversations;
  * the two fitted models (politeness strategies, reading level) alone on the agent messages,
    and the phrase rules' rate without them (the difference).
Prints conversations/s on one core for both. Target (issue #3): at least 1,000/s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportqa.settings")
    import django

    django.setup()  # the demo generator lives in a Django app; no database is used
    from supportqa.autoqa.models import Finding
    from supportqa.core.autoqa import DETECTORS, Turn, analyse, canned_key, reading_level
    from supportqa.core.autoqa.politeness import polite_probability, strategies
    from supportqa.demo.generate import AGENTS, _conversation

    rng = random.Random(7)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    start = end - timedelta(days=90)
    conversations = []
    for index in range(args.conversations):
        record, facts = _conversation(rng, index, AGENTS[index % len(AGENTS)], start, end)
        turns = [
            Turn(m["author_kind"], m["text"], datetime.fromisoformat(m["sent_at"]))
            for m in record["messages"]
        ]
        conversations.append((record, turns, facts))
    messages = sum(len(t) for _, t, _ in conversations)
    agent_texts = Counter(
        canned_key(t.text)
        for _, turns, _ in conversations
        for t in turns
        if t.author_kind == "agent"
    )
    canned = frozenset(k for k, n in agent_texts.items() if n >= 20)

    token = re.compile(r"[a-z0-9']+")
    started = time.perf_counter()
    tokens = 0
    for _, turns, _ in conversations:
        for turn in turns:
            tokens += len(token.findall(turn.text.lower()))
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    hits: Counter[str] = Counter()
    outcomes = []
    for record, turns, _ in conversations:
        findings = analyse(
            turns,
            channel=record["channel"],
            status=record.get("status", ""),
            customer_name=record["customer"]["name"],
            canned=canned,
        )
        for name, finding in findings.items():
            if finding.score is not None and finding.score >= Finding.HIT:
                hits[name] += 1
        outcomes.append(findings)
    ours = time.perf_counter() - started

    # The two fitted models (politeness strategies, reading level) on their own, caches cold:
    # what AutoQA would save with phrase rules only.
    strategies.cache_clear()
    started = time.perf_counter()
    for _, turns, _ in conversations:
        for turn in turns:
            if turn.author_kind == "agent":
                reading_level(turn.text)
                if len(turn.text.split()) >= 3:
                    polite_probability(turn.text)
    models = time.perf_counter() - started

    n = len(conversations)
    print(f"\nAutoQA on {n:,} demo conversations ({messages:,} messages), one core")
    print(f"{'':44}{'seconds':>9}{'conv/s':>10}{'msg/s':>11}")
    for label, seconds in (
        ("baseline: lower-case + regex tokenize", baseline),
        (f"SupportQA AutoQA ({len(DETECTORS)} detectors, models in)", ours),
        ("  the two fitted models alone", models),
        ("  phrase rules only (the above less models)", ours - models),
    ):
        print(f"{label:44}{seconds:9.2f}{n / seconds:10,.0f}{messages / seconds:11,.0f}")
    print(f"\nAutoQA / baseline time: {ours / baseline:.1f}x; target >= 1,000 conv/s per core")
    # The generator knows what each conversation did: detectors against those facts.
    checks = [
        ("compliance breach", "compliance", lambda f: f.score == 0.0, "slipped"),
        ("customer's name used", "name", lambda f: f.score == 1.0, "name"),
        ("resolved (confirmed or marked)", "resolution", lambda f: f.score >= 0.5, "resolved"),
    ]
    print("\nDetectors against the demo generator's facts")
    print(f"{'':34}{'precision':>10}{'recall':>8}{'n true':>8}")
    for label, detector, says, fact in checks:
        predicted = [says(found[detector]) for found in outcomes]
        truth = [bool(facts[fact]) for _, _, facts in conversations]
        tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
        precision = tp / max(1, sum(predicted))
        recall = tp / max(1, sum(truth))
        print(f"{label:34}{precision:10.3f}{recall:8.3f}{sum(truth):8,}")
    print(f"Detector hit rates (score >= {Finding.HIT}): " + ", ".join(
        f"{name} {count / n:.0%}" for name, count in sorted(hits.items())
    ))  # fmt: skip


if __name__ == "__main__":
    main()
