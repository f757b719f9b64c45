"""`supportqa autoqa evaluate` on every human-labelled set in ../shared/data/autoqa_labelled
(train/dev portions; their README and PROVENANCE.md files name the sources and licences).
The figures asserted are floors a little under what the detectors reach today (docs/autoqa.md
has the table), so that a change that makes a detector agree less with people fails here."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from supportqa.autoqa.evaluation import evaluate_files
from supportqa.core import autoqa

SETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "autoqa_labelled"
pytestmark = pytest.mark.skipif(not SETS.exists(), reason="shared data not present")


def files(name: str) -> tuple[Path, Path]:
    return SETS / name / f"{name}.jsonl", SETS / name / f"{name}.labels.csv"


def evaluated(name: str, **options):
    conversations, labels = files(name)
    evaluation = evaluate_files(
        conversations.read_bytes(),
        labels.read_bytes(),
        rules=autoqa.DEFAULT_RULES,
        mapping=autoqa.DEFAULT_MAPPING,
        **options,
    )
    assert evaluation.errors == [] and evaluation.label_errors == []
    return {(r.detector, r.kind): r for r in evaluation.reports}


def test_stanford_politeness():
    """Stanford Politeness Corpus (Danescu-Niculescu-Mizil et al. 2013), 3,000 requests: the
    authors' classifier told the polite from the impolite quarter 83.8% of the time on
    Wikipedia requests and people agreed 86.7%; ours reaches 68% (docs/autoqa.md)."""
    found = evaluated("stanford_politeness")
    binary = found[("politeness", "binary")]
    c = binary.counts
    assert c.n == 1454
    assert c.accuracy.value >= 0.66
    assert binary.kappa.value >= 0.30
    assert found[("politeness", "score")].spearman.low >= 0.29


def test_davidson_offensive_tweets():
    """Davidson et al. (2017), 2,000 tweets: offensive ones are rated rude (score 0); the
    rest not (a hit is a score of 0.25 or more: "not marked rude")."""
    binary = evaluated("davidson_offensive", threshold=0.25)[("politeness", "binary")]
    c = binary.counts
    assert c.absent_recall.value >= 0.90  # offensive tweets found (target 0.6)
    assert c.absent_precision.value >= 0.95  # and what is found is offensive (target 0.8)


def test_multidogo_greetings_thanks_and_secrets():
    """MultiDoGO (Amazon), customer turns of 3,000 dialogues, roles swapped."""
    found = evaluated("multidogo_customer_turns")
    greeting = found[("greeting", "binary")].counts
    assert greeting.recall.value >= 0.98 and greeting.precision.value >= 0.92  # target .9/.9
    assert found[("gratitude", "binary")].f1.value >= 0.89  # target 0.85
    compliance = found[("compliance", "binary")].counts
    assert compliance.absent_precision.value >= 0.95  # a flagged exposure is one
    assert compliance.absent_recall.value >= 0.28  # target 0.95: missed, see docs/autoqa.md


def test_multidogo_names():
    """The customer's name found where they state it (lower-case chat, no capitals to go by)."""
    counts = evaluated("multidogo_names")[("name", "applies")].counts
    assert counts.precision.value >= 0.88 and counts.recall.value >= 0.21


def test_sgd_follow_up_and_customer_thanks():
    """Schema-Guided Dialogue (Google): REQ_MORE turns ("anything else?") and THANK_YOU."""
    follow_up = evaluated("sgd_follow_up", threshold=0.5)[("follow_up", "binary")].counts
    assert follow_up.recall.value >= 0.89 and follow_up.precision.value >= 0.97  # target .9/.9
    assert evaluated("sgd_customer_thanks")[("gratitude", "binary")].f1.value >= 0.87


def test_onestopenglish_reading_levels():
    """OneStopEnglish (Vajjala & Lučić 2018): 131 articles written at three levels by
    teachers. The reading level is fitted to these texts: 0.66 is its Spearman ρ
    cross-validated by article (docs/autoqa.md); on the texts it was fitted to, 0.68."""
    report = evaluated("onestopenglish")[("readability", "score")]
    assert report.spearman.value >= 0.66  # target 0.6
    assert report.ordering.value >= 0.97  # pairs of one article put in the teachers' order


def test_the_command_prints_a_machine_readable_last_line_and_writes_nothing(db):
    from supportqa.conversations.models import Conversation
    from supportqa.reviews.models import Review

    conversations, labels = files("sgd_follow_up")
    out = StringIO()
    call_command(
        "autoqa", "evaluate", "--detector", "follow_up", "--conversations", str(conversations),
        "--labels", str(labels), "--threshold", "0.5", stdout=out,
    )  # fmt: skip
    lines = out.getvalue().strip().splitlines()
    assert re.fullmatch(
        r"detector follow_up: n=3000 precision=0\.9\d+ recall=0\.\d+ f1=0\.9\d+ kappa=0\.\d+"
        r" accuracy=0\.9\d+",
        lines[-1],
    ), lines[-1]
    assert any(line.strip().startswith("threshold") for line in lines)  # the PR curve
    assert not Conversation.objects.exists() and not Review.objects.exists()


def test_bad_rows_are_named_and_the_rest_evaluated(db, tmp_path):
    conversations, _ = files("sgd_follow_up")
    labels = tmp_path / "labels.csv"
    first = json.loads(conversations.read_text().splitlines()[0])["external_id"]
    labels.write_text(
        "external_id,detector,label,label_kind,note\n"
        f"{first},follow_up,1,binary,\n"
        f"{first},follow_up,0,binary,\n"
        f"{first},empathy,2,binary,\n"
        f"{first},greting,1,binary,\n"
        f"{first},follow_up,0.7,score,\n"
        "nobody,follow_up,1,binary,\n"
        f"{first},follow_up,nan,applies,\n"
    )
    out, err = StringIO(), StringIO()
    call_command(
        "autoqa", "evaluate", "--conversations", str(conversations), "--labels", str(labels),
        stdout=out, stderr=err,
    )  # fmt: skip
    problems = err.getvalue()
    assert "line 3: external_id: a second label of this kind" in problems
    assert "line 4: label: a binary label is 0 or 1, not '2'" in problems
    assert "line 5: detector: 'greting' is not a detector" in problems
    assert "line 7: external_id: no conversation with this id in the file" in problems
    assert "line 8: label: must be a finite number" in problems
    assert "detector follow_up: n=1 " in out.getvalue()
    with pytest.raises(CommandError, match="no detector nope"):
        call_command("autoqa", "evaluate", "--detector", "nope", "--conversations", "x",
                     "--labels", "y")  # fmt: skip
    with pytest.raises(CommandError, match="--labels: No such file"):
        call_command("autoqa", "evaluate", "--conversations", str(conversations),
                     "--labels", str(tmp_path / "missing.csv"))  # fmt: skip
