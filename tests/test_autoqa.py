"""AutoQA in the app: queue, claims, AQS reviews with findings, the page, imports."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from supportqa.autoqa.actions import Context, claim, enqueue_changed, score_conversation, work
from supportqa.autoqa.models import AutoQASettings, Finding, Job
from supportqa.conversations.models import Conversation, Message
from supportqa.integrations.importer import import_conversations
from supportqa.reports.metrics import scored_reviews  # noqa: F401 - IQS source filter in use
from supportqa.reports.models import DirtyDay
from supportqa.reports.periods import Period
from supportqa.reviews.models import IQS_SOURCES, Rating, Review, Source


def write_transcript(conversation: Conversation, *lines: str) -> None:
    conversation.messages.all().delete()
    start = conversation.created_at
    for seq, line in enumerate(lines):
        kind, _, text = line.partition(": ")
        Message.objects.create(
            conversation=conversation,
            seq=seq,
            author_kind={"c": "customer", "a": "agent"}[kind],
            sent_at=start + timedelta(seconds=30 * seq),
            text=text,
        )
    conversation.content_hash = f"h{len(lines)}-{hash(lines) & 0xFFFF}"
    conversation.save()


@pytest.fixture
def rude(cast):
    write_transcript(
        cast.conversation,
        "c: My parcel is lost again? This is ridiculous",
        "a: Calm down. Send your password and I will look.",
        "c: It still doesn't work",
    )
    return cast.conversation


def test_the_demos_worker_runs_while_its_parent_lives(cast, rude):
    """`make demo` starts the worker with `--poll 2 --parent <its shell>`: those options parse,
    the worker scores while its parent lives, and a worker whose parent is gone stops."""
    import os
    import re
    from pathlib import Path

    line = next(
        row
        for row in (Path(__file__).resolve().parent.parent / "Makefile").read_text().splitlines()
        if "supportqa worker" in row
    )
    assert re.findall(r"--[a-z-]+", line.split("&")[0]) == ["--poll", "--parent"]
    enqueue_changed()
    call_command("worker", "--until-empty", "--poll", "2", "--parent", str(os.getppid() + 1))
    assert not Review.objects.filter(source=Source.AUTOQA).exists()  # its parent is gone
    call_command("worker", "--until-empty", "--poll", "2", "--parent", str(os.getppid()))
    assert Review.objects.filter(source=Source.AUTOQA).count() == 3


def test_run_scores_every_queued_conversation_once(cast, rude):
    assert enqueue_changed() == 3
    totals = work("test-worker")
    assert (totals.scored, totals.failed) == (3, 0)
    assert Review.objects.filter(source=Source.AUTOQA).count() == 3
    assert set(Job.objects.values_list("status", flat=True)) == {Job.Status.DONE}
    # Unchanged conversations are not queued again; a changed one is.
    assert enqueue_changed() == 0
    write_transcript(rude, "c: hello", "a: Hi! Thanks for waiting.")
    assert enqueue_changed() == 1
    work("test-worker")
    assert Review.objects.filter(source=Source.AUTOQA, conversation=rude).count() == 1


def test_aqs_review_rates_mapped_criteria_with_evidence_and_stays_out_of_iqs(cast, rude):
    enqueue_changed()
    work("w")
    review = Review.objects.get(source=Source.AUTOQA, conversation=rude)
    assert Source.AUTOQA not in IQS_SOURCES
    assert review.reviewer.username == "autoqa" and not review.reviewer.is_active
    ratings = {r.criterion.key: r for r in review.ratings.select_related("criterion", "option")}
    # Asking for the password breaks compliance (a critical criterion): the review fails.
    assert ratings["compliance"].option.label == "Below Expectations"
    assert [m.seq for m in ratings["compliance"].evidence.all()] == [1]
    assert review.critical_failed and review.final_score == 0
    politeness = Finding.objects.get(review=review, detector="politeness")
    assert politeness.score == 0.0
    span = politeness.evidence[0]
    assert rude.messages.get(seq=span["seq"]).text[span["start"] : span["end"]] == "Calm down"


def test_claims_do_not_overlap_and_stale_claims_are_taken_over(cast, settings):
    enqueue_changed()
    first = claim("worker-1", 2)
    second = claim("worker-2", 2)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert claim("worker-3", 5) == []
    # worker-1 dies: its claims go stale and another worker takes them over.
    settings.SUPPORTQA_AUTOQA_STALE_SECONDS = 60
    Job.objects.filter(claimed_by="worker-1").update(
        claimed_at=timezone.now() - timedelta(seconds=61)
    )
    assert sorted(claim("worker-3", 5)) == sorted(first)
    assert Job.objects.get(conversation_id=first[0]).attempts == 2


def test_a_claim_reads_the_jobs_still_to_do_from_their_own_index(cast):
    """Claiming in primary-key order walked the whole primary key past the done jobs (42 ms
    a claim at 100,000 conversations on PostgreSQL): the claim's query must name the to-do
    statuses so that PostgreSQL reads the partial index of the jobs still to do. SQLite
    searches its status index for each status instead; neither reads the done jobs."""
    from django.db import connection, transaction

    from supportqa.autoqa.actions import ready_jobs

    enqueue_changed()
    with transaction.atomic(), connection.cursor() as cursor:
        query = ready_jobs().order_by("pk").values_list("pk", flat=True)[:200]
        sql, params = query.query.sql_with_params()
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table is read whole
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    if connection.vendor == "postgresql":
        assert "autoqa_job_to_do" in plan, plan
    else:
        assert "SEARCH autoqa_job USING" in plan and "SCAN autoqa_job" not in plan, plan


@pytest.mark.parametrize(
    ("step", "conversation_of"),
    [
        ("plan", lambda conversation: conversation.pk),  # the detectors fail
        ("_finish", lambda review: review.conversation_id),  # storing the batch fails
    ],
)
def test_a_failing_conversation_is_marked_and_the_run_goes_on(
    cast, monkeypatch, step, conversation_of
):
    """One conversation fails in scoring or in storing its batch (one transaction): the
    others are scored (the batch stored again one by one) and only that one is failed."""
    import supportqa.autoqa.actions as actions

    real = getattr(actions, step)

    def broken(first, *args):
        if conversation_of(first) == cast.teammate_conversation.pk:
            raise RuntimeError("detector crashed")
        return real(first, *args)

    monkeypatch.setattr(actions, step, broken)
    enqueue_changed()
    totals = work("w")
    assert (totals.scored, totals.failed) == (2, 1)
    failed = Job.objects.get(conversation=cast.teammate_conversation)
    assert failed.status == Job.Status.FAILED and "detector crashed" in failed.error
    assert not Review.objects.filter(conversation=cast.teammate_conversation).exists()
    assert Review.objects.filter(source=Source.AUTOQA).count() == 2


def test_a_reassigned_conversation_keeps_the_former_agents_review_whole(cast, rude):
    """Scoring the conversation for its new agent writes a new review; the former agent's
    review is not emptied (it kept its score, so it keeps the ratings behind it)."""
    enqueue_changed()
    work("w")
    former = Review.objects.get(source=Source.AUTOQA, conversation=rude)
    rated = former.ratings.count()
    rude.agent = cast.teammate
    rude.content_hash = "reassigned"
    rude.save()
    assert enqueue_changed() == 1
    work("w")
    assert former.ratings.count() == rated > 0
    assert Review.objects.get(source=Source.AUTOQA, conversation=rude, reviewee=cast.teammate)


def test_a_job_queued_again_while_its_batch_runs_stays_queued(cast, rude, monkeypatch):
    """The conversation changed while AutoQA scored it (an import queued it again): the
    batch does not mark it done with the content it read before."""
    import supportqa.autoqa.actions as actions

    real = actions.store

    def meanwhile(plans, context):
        Job.objects.filter(conversation=rude).update(status=Job.Status.PENDING)
        return real(plans, context)

    monkeypatch.setattr(actions, "store", meanwhile)
    enqueue_changed()
    ids = claim("w", 10)
    actions._score_batch("w", ids, Context.load(), actions.RunTotals())
    assert Job.objects.get(conversation=rude).status == Job.Status.PENDING
    assert Job.objects.get(conversation=cast.teammate_conversation).status == Job.Status.DONE


def test_a_learned_model_failing_on_one_conversation_fails_only_that_one(cast, rude):
    """A learned model that cannot predict for one transcript: the batch's other
    conversations are rated by it (once, not twice) and only that one is failed."""
    import supportqa.autoqa.actions as actions

    context = Context.load()
    slug = next(iter(context.versions))
    key = next(iter(context.mapping[slug]))

    class Model:
        def predict_many(self, texts, detectors):
            if any("password" in text for text in texts):  # the rude transcript's
                raise ValueError("cannot read this transcript")
            return [(100.0, 0.9) for _ in texts]

    context.learned = {(slug, key): (Model(), 0.8)}
    ids = Conversation.objects.filter(agent__isnull=False).values_list("pk", flat=True)
    plans = [actions.plan(c, lines, context) for c, lines in actions.with_transcripts(ids)]
    failures = {}
    kept = actions._learned(plans, context, failures)
    assert set(failures) == {rude.pk} and len(kept) == 2
    for p in kept:
        notes = [f for f in p.rated[key].findings if f.detector == "learned"]
        assert len(notes) == 1 and p.rated[key].score == 100.0


def test_storing_a_batch_takes_the_same_statements_for_one_conversation_or_many(cast, rude):
    """Rescoring rewrites reviews in place (same review, fresh ratings and findings), and
    rewriting three conversations costs the same statements as rewriting one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportqa.autoqa.actions import _with_learned_models, plan, store, with_transcripts

    context = Context.load()
    ids = Conversation.objects.filter(agent__isnull=False).values_list("pk", flat=True)
    plans = {c.pk: plan(c, lines, context) for c, lines in with_transcripts(ids)}
    assert len(plans) == 3 and all(plans.values())
    _with_learned_models(list(plans.values()), context)
    created = store(list(plans.values()), context)
    rated = Rating.objects.filter(review=created[rude.pk].review).count()
    counts = []
    for batch in ([plans[rude.pk]], list(plans.values())):
        with CaptureQueriesContext(connection) as queries:
            stored = store(batch, context)
        counts.append(len(queries))
        assert set(stored) == {p.conversation.pk for p in batch}
    assert counts[0] == counts[1]
    review = Review.objects.get(source=Source.AUTOQA, conversation=rude)
    assert review.pk == created[rude.pk].review.pk == stored[rude.pk].review.pk
    assert Review.objects.filter(source=Source.AUTOQA).count() == 3
    assert Finding.objects.filter(review=review).count() == len(plans[rude.pk].findings)
    assert review.ratings.count() == rated > 0  # replaced, not added to


def test_rescoring_drops_the_ratings_no_longer_mapped_and_cites_anew(cast, rude):
    """A rescored review stays the same review, loses the rating of a criterion no longer
    mapped (with its evidence), keeps one finding per detector, and its ratings cite only
    what they cite now."""
    first = score_conversation(rude, Context.load()).review
    before = set(first.ratings.values_list("criterion__key", flat=True))
    detectors = sorted(Finding.objects.filter(review=first).values_list("detector", flat=True))
    assert {"clarity", "tone"} <= before
    AutoQASettings.objects.create(mapping={"chat-quality": {"clarity": []}})
    again = score_conversation(rude, Context.load()).review
    assert again.pk == first.pk
    after = dict(again.ratings.values_list("criterion__key", "pk"))
    assert set(after) == before - {"clarity"}
    assert sorted(Finding.objects.filter(review=again).values_list("detector", flat=True)) == (
        detectors
    )
    cited = Rating.evidence.through.objects.filter(rating__review=again)
    assert cited.exists()  # "Calm down." is cited for the tone
    assert not cited.exclude(rating_id__in=after.values()).exists()


def test_organisation_settings_change_what_counts(cast):
    write_transcript(cast.conversation, "c: hi", "a: Yo! Looking now.")
    context = Context.load()
    review = score_conversation(cast.conversation, context).review
    assert Finding.objects.get(review=review, detector="greeting").score == 0.0
    AutoQASettings.objects.create(rules={"greetings": ["yo"]})
    review = score_conversation(cast.conversation, Context.load()).review
    assert Finding.objects.get(review=review, detector="greeting").score == 1.0


def test_settings_with_an_unknown_key_are_rejected(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="greetngs"):
        AutoQASettings(rules={"greetngs": ["hi"]}).full_clean()


def test_import_queues_what_it_brings_in(cast):
    line = {
        "external_id": "imp-1",
        "agent": "agent",
        "team": "Team A",
        "created_at": "2026-10-01T09:00:00+00:00",
        "messages": [
            {"author_kind": "customer", "sent_at": "2026-10-01T09:00:00+00:00", "text": "Hi"},
            {"author_kind": "agent", "sent_at": "2026-10-01T09:01:00+00:00", "text": "Hello"},
        ],
    }
    import_conversations((json.dumps(line) + "\n").encode())
    conversation = Conversation.objects.get(external_id="imp-1")
    assert Job.objects.get(conversation=conversation).status == Job.Status.PENDING
    work("w")
    assert Job.objects.get(conversation=conversation).status == Job.Status.DONE
    # Re-importing the same file changes nothing and queues nothing.
    import_conversations((json.dumps(line) + "\n").encode())
    assert Job.objects.get(conversation=conversation).status == Job.Status.DONE


def test_command_runs_and_is_idempotent(cast, capsys):
    call_command("autoqa", "run", "--no-progress")
    out = capsys.readouterr().out
    assert "3 conversations scored" in out
    # The run recomputes the days its reviews marked, once its workers are done.
    assert re.search(r"\b[1-9]\d* marked rollup days recomputed", out)
    assert not DirtyDay.objects.filter(kind="autoqa").exists()
    call_command("autoqa", "run", "--no-progress")
    assert "0 conversations queued" in capsys.readouterr().out


def test_conversation_page_marks_the_evidence_and_can_start_a_review_from_it(cast, rude):
    enqueue_changed()
    work("w")
    client = cast.client(cast.qa)
    url = reverse("conversation-detail", args=[rude.code])
    page = client.get(url).content.decode()
    assert 'title="AutoQA: Politeness (miss)">Calm down</mark>' in page
    assert "Start your review from AutoQA" in page
    prefilled = client.get(url + "?from=autoqa&scorecard=chat-quality").content.decode()
    assert "check each one before you submit" in prefilled
    assert "AutoQA (" in prefilled  # the ratings' comments carry AutoQA's explanations
    # The agent sees the AutoQA review of their own conversation, nobody else's.
    assert "Calm down</mark>" in cast.client(cast.agent).get(url).content.decode()
    assert cast.client(cast.other_agent).get(url).status_code == 404


def last_90_days() -> Period:
    now = timezone.now()
    return Period(now - timedelta(days=90), now)


def test_agreement_with_humans_counts_pairs_by_criterion(cast):
    from supportqa.autoqa.report import agreement
    from supportqa.reviews.actions import RatingInput
    from tests.conftest import full_ratings, submitted_review

    enqueue_changed()
    work("w")
    version = Review.objects.filter(source=Source.AUTOQA).first().scorecard_version
    # Humans: Exceeds on compliance for two conversations, Below for the third.
    for conversation, position in (
        (cast.conversation, 0),
        (cast.teammate_conversation, 0),
        (cast.other_conversation, 2),
    ):
        ratings = full_ratings(version, 0)
        compliance = version.sections.first().criteria.get(key="compliance")
        ratings[compliance.code] = RatingInput(option_position=position)
        submitted_review(conversation, cast.qa, ratings=ratings)
    autoqa = Review.objects.filter(source=Source.AUTOQA)
    machine = {
        r.review.conversation_id: r.option.value
        for r in Rating.objects.filter(review__in=autoqa, criterion__key="compliance")
    }
    assert set(machine.values()) == {100.0}  # the cast's transcripts break no policy
    rows = {a.key: a for a in agreement(Q(), last_90_days())}
    compliance_row = rows["compliance"]
    assert compliance_row.pairs == 3
    assert compliance_row.exact.value == pytest.approx(200 / 3)
    assert compliance_row.below_recall == 0.0  # the humans' one Below, AutoQA missed
    assert compliance_row.below_precision is None  # AutoQA never said Below


def test_autoqa_page_is_scoped(cast):
    enqueue_changed()
    work("w")
    url = reverse("autoqa")
    assert cast.client(cast.agent).get(url).status_code == 404
    assert cast.client(cast.peer).get(url).status_code == 404
    page = cast.client(cast.manager).get(url).content.decode()
    assert "3 conversations scored automatically" in page
    lead = cast.client(cast.lead).get(url).content.decode()
    assert "2 conversations scored automatically" in lead  # their team only
    assert cast.client(cast.manager).post(url).status_code == 405


def test_trained_model_is_used_only_when_it_beats_the_rules(cast):
    """Humans rate 'clarity' by a wording the rules do not look at: the model learns it, is
    put in use, and the rescored AutoQA review follows it and says so."""
    from supportqa.autoqa.learning import train_models
    from supportqa.autoqa.models import LearnedModel
    from supportqa.reviews.actions import RatingInput
    from tests.conftest import chat_rubric, full_ratings, make_conversation, submitted_review

    version = chat_rubric()
    clarity = version.sections.first().criteria.get(key="clarity")
    wording = {0: "blue plan one two three", 2: "green plan four five six"}  # read alike
    for i in range(48):
        level = 0 if i % 2 else 2
        conversation = make_conversation(cast.agent, cast.team, f"learn-{i}")
        write_transcript(
            conversation, "c: my export fails", f"a: Hello, {wording[level]} for export {i}."
        )
        ratings = full_ratings(version, 1)
        ratings[clarity.code] = RatingInput(option_position=level)
        submitted_review(conversation, cast.qa, ratings=ratings)
    outcomes = {o.criterion: o for o in train_models("chat-quality", minimum=40)}
    learned = outcomes["clarity"]
    assert learned.examples == 48 and learned.evaluation.n_test == 12
    assert learned.evaluation.kappa.value == pytest.approx(1.0)
    assert learned.active  # the rules rate every one of these the same: κ 0
    assert LearnedModel.objects.get(criterion_key="clarity").active
    # A criterion the humans rated all alike cannot be learned.
    assert outcomes["tone"].evaluation is None and "fewer than two" in outcomes["tone"].skipped
    fresh = make_conversation(cast.agent, cast.team, "learn-new")
    write_transcript(fresh, "c: my export fails", "a: Hello, green plan four five six.")
    enqueue_changed()
    work("w")
    rating = Review.objects.get(source=Source.AUTOQA, conversation=fresh).ratings.get(
        criterion__key="clarity"
    )
    assert rating.option.label == "Below Expectations"
    assert "Learned from human reviews" in rating.comment


def test_mapping_overrides_change_which_detectors_rate_a_criterion(cast):
    from django.core.exceptions import ValidationError

    write_transcript(cast.conversation, "c: hi", "a: Hello! Done.")
    AutoQASettings.objects.create(
        mapping={"chat-quality": {"tone": ["greeting"], "understanding": []}}
    )
    review = score_conversation(cast.conversation, Context.load()).review
    ratings = {r.criterion.key: r for r in review.ratings.select_related("criterion", "option")}
    assert ratings["tone"].option.label == "Exceeds Expectations"  # the greeting alone
    assert "understanding" not in ratings  # left to humans
    with pytest.raises(ValidationError, match="unknown detector sarcasm"):
        AutoQASettings(mapping={"chat-quality": {"clarity": ["sarcasm"]}}).full_clean()


def test_unsure_check_compares_agreement_of_unsure_and_sure_conversations(cast):
    from supportqa.autoqa.report import unsure_check
    from tests.conftest import full_ratings, submitted_review

    enqueue_changed()
    work("w")
    version = Review.objects.filter(source=Source.AUTOQA).first().scorecard_version
    conversations = [cast.conversation, cast.teammate_conversation, cast.other_conversation]
    for conversation in conversations:
        submitted_review(conversation, cast.qa, ratings=full_ratings(version, 0))  # all Exceeds
    Job.objects.update(confidence=0.9)
    Job.objects.filter(conversation=cast.conversation).update(confidence=0.5)
    top = max(version.sections.first().criteria.first().options.values_list("value", flat=True))

    def share(conversation) -> float:
        ratings = Rating.objects.filter(
            review__source=Source.AUTOQA, review__conversation=conversation, is_na=False
        )
        return 100 * sum(r.option.value == top for r in ratings) / ratings.count()

    period = last_90_days()
    # Alone, it makes its rollups current (the confidences changed since they were computed).
    check = unsure_check(Q(), period)
    assert (check.unsure.n, check.sure.n) == (1, 2)
    assert check.unsure.value == pytest.approx(share(cast.conversation))
    sure = [share(c) for c in conversations[1:]]
    assert check.sure.value == pytest.approx(sum(sure) / 2)
    assert not check.separates  # one unsure conversation: no interval to separate
    # The page says how many conversations each share rests on (it once showed the page's
    # count of AutoQA reviews there, which the interval's template took from the page).
    page = cast.client(cast.manager).get(reverse("autoqa")).content.decode()
    said = page[page.index('id="unsure-check"') :]
    said = said[: said.index("</p>")]
    assert "n=1)" in said and "n=2)" in said


def test_findings_are_found_by_review_through_their_unique_index_alone(db):
    """Each scored conversation writes 13 findings: the review column has no plain index
    beside (review, detector), which leads with it (autoqa 0012); on SQLite a review's
    findings are read through it."""
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Finding._meta.db_table)
    by_review = {
        name
        for name, c in found.items()
        if (c["index"] or c["unique"]) and not c["foreign_key"] and c["columns"][0] == "review_id"
    }
    assert by_review == {"one_finding_each"}
    assert found["one_finding_each"]["unique"]
    if connection.vendor == "sqlite":
        # (SQLite names the unique constraint's index sqlite_autoindex_autoqa_finding_1.)
        sql, params = Finding.objects.filter(review_id=1).order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(row[3] for row in cursor.fetchall())
        assert plan.startswith("SEARCH autoqa_finding USING INDEX sqlite_autoindex"), plan
