"""The AutoQA evaluation page and the figures it shows to the quality team, on a labelled set
of our own (the shared public sets are in test_autoqa_evaluate.py)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from supportqa.audit.models import AuditEvent
from supportqa.autoqa.models import Validation


def mini_set() -> tuple[bytes, bytes]:
    """Three conversations of our own and people's labels for their greetings."""
    texts = {"g1": "Hello! How can I help?", "g2": "hai, what do you need", "g3": "What?"}
    lines = [
        json.dumps({
            "external_id": key, "created_at": "2026-01-05T09:00:00Z",
            "messages": [
                {"author_kind": "customer", "sent_at": "2026-01-05T09:00:00Z", "text": "hi"},
                {"author_kind": "agent", "sent_at": "2026-01-05T09:01:00Z", "text": text},
            ],
        })
        for key, text in texts.items()
    ]  # fmt: skip
    labels = "external_id,detector,label,label_kind\ng1,greeting,1,binary\ng2,greeting,1,binary\n"
    return "\n".join(lines).encode(), (labels + "g3,greeting,1,binary\n").encode()


def test_admins_measure_on_the_page_and_show_the_figures_to_the_quality_team(cast):
    conversations, labels = mini_set()
    upload = {
        "conversations": SimpleUploadedFile("c.jsonl", conversations),
        "labels": SimpleUploadedFile("l.csv", labels),
        "threshold": "0.75", "na": "miss", "dataset": "Our greetings", "publish": "on",
    }  # fmt: skip
    page = cast.client(cast.admin).post(reverse("autoqa-evaluate"), upload)
    assert page.status_code == 200
    (report, label, words) = page.context["words"][0]
    assert (report.counts.tp, report.counts.fn, label) == (2, 1, "Greeting")  # "What?": none
    assert words[0].startswith("When AutoQA says the agent greeted the customer, people agreed")
    shown = Validation.objects.get()
    assert (shown.dataset, shown.detector, shown.n) == ("Our greetings", "greeting", 3)
    assert shown.figures["recall"][0] == pytest.approx(2 / 3)
    assert AuditEvent.objects.filter(action="autoqa.validation_published").count() == 1
    dashboard = cast.client(cast.qa).get(reverse("autoqa")).content.decode()
    assert (
        "Our greetings" in dashboard and "Where people said so, AutoQA said so too 67" in dashboard
    )
    assert cast.client(cast.qa).get(reverse("autoqa-evaluate")).status_code == 404


def test_a_page_upload_that_names_no_data_set_is_not_shown(cast):
    conversations, labels = mini_set()
    page = cast.client(cast.admin).post(reverse("autoqa-evaluate"), {
        "conversations": SimpleUploadedFile("c.jsonl", conversations),
        "labels": SimpleUploadedFile("l.csv", labels),
        "threshold": "2", "na": "miss", "publish": "on",
    })  # fmt: skip
    assert page.status_code == 400
    assert page.context["form"].errors.keys() == {"threshold", "dataset"}
    assert not Validation.objects.exists()


def test_the_command_publishes_only_when_asked(db, tmp_path):
    conversations, labels = mini_set()
    (tmp_path / "c.jsonl").write_bytes(conversations)
    (tmp_path / "l.csv").write_bytes(labels)
    paths = ["--conversations", str(tmp_path / "c.jsonl"), "--labels", str(tmp_path / "l.csv")]
    out = StringIO()
    call_command("autoqa", "evaluate", *paths, stdout=out)
    assert out.getvalue().strip().splitlines()[-1].startswith("detector greeting: n=3 ")
    assert not Validation.objects.exists()
    call_command("autoqa", "evaluate", *paths, "--publish", "Mini", stdout=out, stderr=StringIO())
    call_command("autoqa", "evaluate", *paths, "--publish", "Mini", stdout=out, stderr=StringIO())
    assert Validation.objects.get().dataset == "Mini"  # published again: replaced, not added


def test_labels_may_name_the_overall_criterion():
    """`overall`: the overall-handling scorecard's Overall criterion as AutoQA rates it (the
    confidence-weighted mean of its detectors, / 100), as the held-out sets label it."""
    from supportqa.autoqa.evaluation import detector_scores, evaluate_files
    from supportqa.core import autoqa

    conversations, _ = mini_set()
    scores, read, errors = detector_scores(conversations, ["overall"], autoqa.DEFAULT_RULES)
    assert (read, errors) == (3, [])
    assert all(0 <= scores[(key, "overall")] <= 1 for key in ("g1", "g2", "g3"))
    labels = b"external_id,detector,label,label_kind\ng1,overall,0.9,score\ng3,overall,0.2,score\n"
    evaluation = evaluate_files(
        conversations, labels, rules=autoqa.DEFAULT_RULES, mapping=autoqa.DEFAULT_MAPPING
    )
    assert evaluation.label_errors == [] and evaluation.reports[0].detector == "overall"


def test_the_same_evaluation_runs_on_the_organisations_own_reviews(cast):
    """`--reviews`: per criterion, AutoQA's rating against the human reviewer's, on the
    conversations both reviewed (the pairs the AutoQA page reads)."""
    from supportqa.autoqa.actions import enqueue_changed, work
    from tests.conftest import submitted_review

    submitted_review(cast.conversation, cast.qa, position=0)  # the top option everywhere
    enqueue_changed()
    work("test")
    out = StringIO()
    call_command("autoqa", "evaluate", "--reviews", stdout=out)
    lines = out.getvalue().strip().splitlines()
    summary = [line for line in lines if line.startswith("detector ")]
    assert summary and all(" n=1 " in line and "n_score=1" in line for line in summary)
    assert any(line.startswith("detector compliance: ") for line in summary)
    with pytest.raises(CommandError, match="give --conversations and --labels, or --reviews"):
        call_command("autoqa", "evaluate")
