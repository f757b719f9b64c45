from __future__ import annotations

import pytest
from django.urls import reverse

from supportqa.audit.actions import verify_chain
from supportqa.audit.models import AppendOnlyError, AuditEvent
from supportqa.reviews.actions import RatingInput, ReviewInvalid, save_review
from supportqa.reviews.models import Rating, Review, ReviewStatus, Source
from supportqa.scorecards.models import Criterion, RatingOption, Scorecard
from tests.conftest import chat_rubric, full_ratings, submitted_review


def test_submitted_review_stores_raw_and_final_score(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)  # all "Meets"
    assert (review.raw_score, review.final_score, review.status) == (80, 80, ReviewStatus.SUBMITTED)
    assert review.reviewee == cast.agent


def test_meeting_every_expectation_passes_and_a_critical_below_fails(cast):
    """Version 2 of the default chat rubric: Meets is worth the 80% pass mark."""
    version = chat_rubric()
    assert version.number == 2 and version.pass_threshold == 80
    assert submitted_review(cast.conversation, cast.qa, position=1).passed
    ratings = full_ratings(version, 0)  # Exceeds everywhere but the critical criterion
    compliance = Criterion.objects.get(section__version=version, key="compliance")
    ratings[compliance.code] = RatingInput(option_position=2)
    failed = submitted_review(cast.teammate_conversation, cast.qa, ratings=ratings)
    assert failed.critical_failed and not failed.passed
    one_below = full_ratings(version, 1)
    tone = Criterion.objects.get(section__version=version, key="tone")
    one_below[tone.code] = RatingInput(option_position=2)
    assert not submitted_review(cast.other_conversation, cast.qa, ratings=one_below).passed


def test_reviews_keep_the_version_they_were_made_with(cast):
    """Version 1 (Meets = 50) stays for the reviews made with it."""
    first = Scorecard.objects.get(slug="chat-quality").versions.get(number=1)
    meets = [
        o.value
        for o in RatingOption.objects.filter(
            criterion__section__version=first, label="Meets Expectations"
        )
    ]
    assert set(meets) == {50}
    old = save_review(
        conversation=cast.conversation,
        reviewer=cast.qa,
        source=Source.QA,
        version=first,
        ratings=full_ratings(first, 1),
        submit=True,
    )
    assert old.final_score == 50 and not old.passed


def test_critical_compliance_failure_zeroes_the_final_score(cast):
    version = chat_rubric()
    ratings = full_ratings(version, 0)
    compliance = Criterion.objects.get(section__version=version, key="compliance")
    ratings[compliance.code] = RatingInput(option_position=2)  # Below Expectations
    review = submitted_review(cast.conversation, cast.qa, ratings=ratings)
    assert review.raw_score == pytest.approx(700 / 8)
    assert review.final_score == 0 and review.critical_failed


def test_na_is_excluded_from_the_score(cast):
    version = chat_rubric()
    ratings = full_ratings(version, 0)
    follow_up = Criterion.objects.get(section__version=version, key="follow-up")
    ratings[follow_up.code] = RatingInput(na=True)
    review = submitted_review(cast.conversation, cast.qa, ratings=ratings)
    assert review.final_score == 100
    assert review.ratings.get(criterion=follow_up).score is None


def test_submit_requires_every_criterion(cast):
    version = chat_rubric()
    ratings = full_ratings(version, 0)
    ratings.pop(next(iter(ratings)))
    with pytest.raises(ReviewInvalid) as invalid:
        submitted_review(cast.conversation, cast.qa, ratings=ratings)
    assert "choose a rating or N/A" in str(invalid.value)
    assert not Review.objects.exists()


def test_na_is_refused_where_not_allowed(cast):
    version = chat_rubric()
    ratings = full_ratings(version, 0)
    compliance = Criterion.objects.get(section__version=version, key="compliance")
    ratings[compliance.code] = RatingInput(na=True)
    with pytest.raises(ReviewInvalid):
        submitted_review(cast.conversation, cast.qa, ratings=ratings)


def test_draft_then_submit_updates_the_same_review(cast):
    version = chat_rubric()
    draft = save_review(
        conversation=cast.conversation,
        reviewer=cast.qa,
        source=Source.QA,
        version=version,
        ratings={},
    )
    final = submitted_review(cast.conversation, cast.qa)
    assert draft.pk == final.pk
    assert Review.objects.count() == 1


def test_evidence_links_messages_of_the_conversation(cast):
    version = chat_rubric()
    ratings = full_ratings(version, 0)
    code = next(iter(ratings))
    ratings[code].evidence_seqs = [1, 3, 99]
    review = submitted_review(cast.conversation, cast.qa, ratings=ratings)
    rating = review.ratings.get(criterion__code=code)
    assert sorted(m.seq for m in rating.evidence.all()) == [1, 3]


def test_a_saved_draft_replaces_its_ratings_causes_and_evidence_each_stored_once(cast):
    """Ratings, root causes and evidence are written in bulk: a position given twice is
    stored once, a second save replaces (never adds to) the first."""
    version = chat_rubric()
    ratings = full_ratings(version, 2)
    code = next(c.code for c in version.parts.criteria if len(c.root_causes.all()) > 1)
    ratings[code].root_cause_positions = [1, 1, 0]
    ratings[code].evidence_seqs = [2, 0, 2, 99]
    save = dict(conversation=cast.conversation, reviewer=cast.qa, source=Source.QA, version=version)
    save_review(**save, ratings=ratings)
    rating = Rating.objects.get(review__reviewer=cast.qa, criterion__code=code)
    causes = list(rating.criterion.root_causes.all())
    assert sorted(c.pk for c in rating.root_causes.all()) == sorted([causes[0].pk, causes[1].pk])
    assert sorted(m.seq for m in rating.evidence.all()) == [0, 2]
    ratings[code].root_cause_positions, ratings[code].evidence_seqs = [0], []
    review = save_review(**save, ratings=ratings, submit=True)
    assert review.ratings.count() == len(version.parts.criteria)
    rating = review.ratings.get(criterion__code=code)
    assert [c.pk for c in rating.root_causes.all()] == [causes[0].pk]
    assert not rating.evidence.exists()
    assert Rating.root_causes.through.objects.filter(rating__review=review).count() == 1


def test_ratings_are_saved_where_bulk_insert_returns_no_ids(cast, monkeypatch):
    """SQLite before 3.35 returns no ids from a bulk insert: the ratings' ids are read back
    for their root causes and evidence."""
    from django.db.models import QuerySet

    original = QuerySet.bulk_create

    def without_ids(self, objs, *args, **kwargs):
        made = original(self, objs, *args, **kwargs)
        if self.model is Rating:
            for rating in made:
                rating.pk = None
        return made

    monkeypatch.setattr(QuerySet, "bulk_create", without_ids)
    version = chat_rubric()
    ratings = full_ratings(version, 2)
    code = next(c.code for c in version.parts.criteria if len(c.root_causes.all()))
    ratings[code].root_cause_positions, ratings[code].evidence_seqs = [0], [1]
    review = submitted_review(cast.conversation, cast.qa, ratings=ratings)
    rating = review.ratings.get(criterion__code=code)
    assert rating.root_causes.count() == 1 and [m.seq for m in rating.evidence.all()] == [1]


def test_review_form_post_submits_and_redirects(cast):
    version = chat_rubric()
    criteria = Criterion.objects.filter(section__version=version)
    data = {f"rating-{c.code}": "0" for c in criteria}
    data.update({"action": "submit", "scorecard": "chat-quality", "overall_comment": "Great"})
    response = cast.client(cast.qa).post(
        reverse("conversation-detail", args=[cast.conversation.code]), data
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert response["Location"] == reverse("review-detail", args=[review.code])
    assert review.final_score == 100 and review.overall_comment == "Great"


def test_incomplete_form_answers_400_and_keeps_the_input(cast):
    data = {"action": "submit", "scorecard": "chat-quality", "overall_comment": "Kept"}
    response = cast.client(cast.qa).post(
        reverse("conversation-detail", args=[cast.conversation.code]), data
    )
    assert response.status_code == 400
    assert "choose a rating or N/A" in response.content.decode()
    assert response.context["overall_comment"] == "Kept"


def test_autosave_answers_json(cast):
    response = cast.client(cast.qa).post(
        reverse("conversation-detail", args=[cast.conversation.code]),
        {"action": "draft", "scorecard": "chat-quality", "rating-nonsense": "0"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_bad_option_position_is_rejected(cast):
    version = chat_rubric()
    criterion = Criterion.objects.filter(section__version=version).first()
    response = cast.client(cast.qa).post(
        reverse("conversation-detail", args=[cast.conversation.code]),
        {"action": "draft", "scorecard": "chat-quality", f"rating-{criterion.code}": "7"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "no such rating option" in response.json()["errors"][criterion.code]


def test_agent_cannot_review_a_teammate_and_self_review_is_its_own_source(cast):
    client = cast.client(cast.peer)
    response = client.post(reverse("conversation-detail", args=[cast.other_conversation.code]), {})
    assert response.status_code == 404
    agent = cast.client(cast.agent)
    response = agent.post(
        reverse("conversation-detail", args=[cast.conversation.code]),
        {"action": "draft", "scorecard": "chat-quality"},
    )
    assert response.status_code == 302
    assert Review.objects.get().source == Source.SELF


def test_outsider_gets_404_even_on_post(cast):
    response = cast.client(cast.outsider).post(
        reverse("conversation-detail", args=[cast.conversation.code]), {}
    )
    assert response.status_code == 404


def test_every_submit_is_in_the_tamper_evident_audit_log(cast):
    submitted_review(cast.conversation, cast.qa)
    event = AuditEvent.objects.get(action="review.submitted")
    assert event.actor == cast.qa
    assert verify_chain() is None
    with pytest.raises(AppendOnlyError):
        event.save()
    AuditEvent.objects.filter(pk=event.pk).update(data={"final_score": 1})  # tampering
    assert verify_chain() == event.pk


def test_scorecard_migration_ships_the_three_defaults(db):
    from supportqa.scorecards.models import Scorecard

    counts = {
        s.slug: Criterion.objects.filter(section__version=s.current_version()).count()
        for s in Scorecard.objects.all()
    }
    assert counts == {"chat-quality": 8, "response-check": 5, "overall-handling": 1}
    compliance = Criterion.objects.get(key="compliance", section__version=chat_rubric())
    assert compliance.critical and not compliance.allow_na
    assert [o.label for o in compliance.options.all()] == [
        "Exceeds Expectations",
        "Meets Expectations",
        "Below Expectations",
    ]
    assert all(o.description for o in compliance.options.all())


def test_transcript_shows_customer_sentiment_and_its_trajectory(cast):
    from supportqa.conversations.models import Message

    Message.objects.filter(conversation=cast.conversation, seq=0).update(
        text="My card was charged twice, this is terrible."
    )
    Message.objects.filter(conversation=cast.conversation, seq=2).update(
        text="Great, that fixed it, thank you!"
    )
    response = cast.client(cast.qa).get(
        reverse("conversation-detail", args=[cast.conversation.code])
    )
    trajectory = response.context["trajectory"]
    assert trajectory.start < 0 < trajectory.end
    moods = [line.mood for line in response.context["transcript"]]
    assert moods == ["negative", "", "positive", ""]  # agents' messages are not scored
    assert "customer sentiment -" in response.content.decode()


def test_date_filters_are_whole_days_on_an_indexable_range(cast):
    from datetime import datetime, timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tests.conftest import make_conversation

    late = timezone.make_aware(datetime(2026, 3, 9, 23, 30))
    make_conversation(cast.agent, cast.team, "late", created=late)
    make_conversation(cast.agent, cast.team, "early", created=late + timedelta(minutes=40))
    client = cast.client(cast.manager)

    def shown(**filters):
        page = client.get(reverse("conversation-list"), filters)
        return {c.external_id for c in page.context["page"].object_list} & {"late", "early"}

    assert shown(since="2026-03-10") == {"early"}
    assert shown(until="2026-03-09") == {"late"}
    assert shown(since="2026-03-09", until="2026-03-10") == {"late", "early"}
    with CaptureQueriesContext(connection) as captured:
        shown(since="2026-03-10")
    listing = [q["sql"] for q in captured if "created_at" in q["sql"] and "COUNT" not in q["sql"]]
    assert listing and not any("cast" in sql.lower() or "::date" in sql for sql in listing)


def test_each_conversation_page_shows_that_conversations_reviews_every_time(cast):
    """The reviews around the form are read through statements compiled once per person
    (`Desk.read_others`): each page shows its own conversation's, AutoQA's apart with its
    findings, the 360° view of its own reviews, and the person's own review is not among
    the others."""
    from supportqa.autoqa.models import Finding

    first = submitted_review(cast.conversation, cast.qa, position=1)
    second = submitted_review(cast.teammate_conversation, cast.qa, position=2)
    automatic = submitted_review(cast.teammate_conversation, cast.manager, position=0)
    Review.objects.filter(pk=automatic.pk).update(source=Source.AUTOQA)
    for detector in ("greeting", "apology"):
        Finding.objects.create(review=automatic, detector=detector, confidence=0.9, score=0.5)
    lead = cast.client(cast.lead)
    for _ in range(2):  # compiled, then kept
        for conversation, shown, autoqa, findings, compared in (
            (cast.conversation, first, None, [], []),
            (
                cast.teammate_conversation,
                second,
                automatic,
                ["apology", "greeting"],
                ["qa", "autoqa"],
            ),
        ):
            context = lead.get(reverse("conversation-detail", args=[conversation.code])).context
            assert [r.pk for r in context["others"]] == [shown.pk]
            assert [rating.criterion_id for rating in context["others"][0].ratings.all()]
            assert (context["autoqa"] and context["autoqa"].pk) == (autoqa and autoqa.pk)
            assert [f.detector for f in context.get("autoqa_findings", [])] == findings
            assert [source for source, _ in context["three_sixty"].sources] == compared
    qa = cast.client(cast.qa)
    page = qa.get(reverse("conversation-detail", args=[cast.conversation.code])).context
    assert page["others"] == [] and page["own_review"].pk == first.pk
