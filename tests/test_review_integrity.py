"""A submitted score never drifts: drafts only for autosave, edits with a reason and a kept
revision, disputes and calibration freeze, and the invariant "stored score = ratings' score"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportqa.audit.models import AuditEvent
from supportqa.calibration.actions import create_session, reveal_session
from supportqa.calibration.results import session_results
from supportqa.reviews.actions import (
    RatingInput,
    ReviewInvalid,
    decide_dispute,
    edit_review,
    raise_dispute,
    save_review,
)
from supportqa.reviews.models import Review, ReviewStatus, Source
from supportqa.scorecards.models import Criterion
from tests.conftest import chat_rubric, full_ratings, make_conversation, submitted_review


def criteria():
    return list(
        Criterion.objects.filter(section__version=chat_rubric()).order_by(
            "section__position", "position"
        )
    )


def form(levels: dict[str, str], **extra: str) -> dict[str, str]:
    """Review form data: every criterion at "0" (Exceeds) unless `levels` says otherwise."""
    data = {f"rating-{c.code}": levels.get(c.key, "0") for c in criteria()}
    data.update(scorecard="chat-quality", **extra)
    return data


def state(review: Review) -> tuple:
    review.refresh_from_db()
    ratings = sorted(review.ratings.values_list("criterion__key", "option_id", "is_na", "comment"))
    return (review.status, review.raw_score, review.final_score, review.submitted_at, ratings)


@pytest.fixture
def submitted(cast):
    return submitted_review(cast.conversation, cast.qa, position=0)  # 100%


def page(cast):
    return reverse("conversation-detail", args=[cast.conversation.code])


def test_autosave_after_submission_changes_nothing(cast, submitted):
    """The reported case: a draft POST with the critical criterion at Below, and one with a
    single rating, used to overwrite a submitted 100% review."""
    before = state(submitted)
    client = cast.client(cast.qa)
    below = client.post(
        page(cast), form({"compliance": "2"}, action="draft"), HTTP_ACCEPT="application/json"
    )
    assert below.status_code == 400
    assert "already submitted" in below.json()["errors"]["review"]
    one = {f"rating-{criteria()[0].code}": "2", "scorecard": "chat-quality", "action": "draft"}
    assert client.post(page(cast), one, HTTP_ACCEPT="application/json").status_code == 400
    assert state(submitted) == before
    assert submitted.final_score == 100 and submitted.ratings.count() == 8


def test_submitting_again_is_refused_and_the_submission_time_stays(cast, submitted):
    before = state(submitted)
    response = cast.client(cast.qa).post(page(cast), form({"tone": "2"}, action="submit"))
    assert response.status_code == 400
    assert state(submitted) == before


def test_the_page_shows_a_submitted_review_instead_of_its_form(cast, submitted):
    response = cast.client(cast.qa).get(page(cast))
    assert response.context["mode"] is None
    body = response.content.decode()
    assert reverse("review-edit", args=[submitted.code]) in body
    assert 'id="review-form"' not in body


def test_an_edit_needs_a_reason_rescores_and_keeps_the_previous_version(cast, submitted):
    submitted_at = submitted.submitted_at
    url = reverse("review-edit", args=[submitted.code])
    client = cast.client(cast.qa)
    assert client.get(url).context["mode"] == "edit"
    missing = client.post(url, form({"compliance": "2"}, reason=" "))
    assert missing.status_code == 400
    assert "say why" in missing.content.decode()
    assert Review.objects.get().final_score == 100
    done = client.post(url, form({"compliance": "2"}, reason="Missed the ID check"))
    assert done.status_code == 302
    review = Review.objects.get()
    assert review.final_score == 0 and review.critical_failed  # critical criterion below
    assert review.raw_score == pytest.approx(700 / 8)
    assert review.submitted_at == submitted_at  # the dispute deadline runs from here
    assert review.status == ReviewStatus.SUBMITTED
    revision = review.revisions.get()
    assert revision.final_score == 100 and revision.reason == "Missed the ID check"
    assert revision.version_by == cast.qa and revision.replaced_by == cast.qa
    assert {r["rating"] for r in revision.ratings} == {"Exceeds Expectations"}
    event = AuditEvent.objects.get(action="review.edited")
    assert (event.data["score_before"], event.data["score_after"]) == (100, 0)
    detail = cast.client(cast.agent).get(reverse("review-detail", args=[review.code]))
    assert "Missed the ID check" in detail.content.decode()  # the agent sees why


def test_who_may_edit(cast, submitted):
    url = reverse("review-edit", args=[submitted.code])
    assert cast.client(cast.agent).get(url).status_code == 404  # the reviewed agent
    assert cast.client(cast.teammate).get(url).status_code == 404  # out of scope
    assert cast.client(cast.lead).get(url).status_code == 200  # arbiter in scope
    with pytest.raises(ReviewInvalid):
        edit_review(
            review=submitted,
            by=cast.agent,
            ratings=full_ratings(chat_rubric(), 2),
            overall_comment="",
            reason="I like mine better",
        )
    assert Review.objects.get().final_score == 100


def dispute_one(cast, review):
    code = criteria()[1].code
    return raise_dispute(
        review=review, by=cast.agent, proposals={code: RatingInput(0)}, reason="Was fine"
    )


def test_disputed_and_final_reviews_change_only_through_the_decision(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    dispute = dispute_one(cast, review)
    url = reverse("review-edit", args=[review.code])
    response = cast.client(cast.qa).get(url)
    assert response.status_code == 302  # back to the review, with the reason
    assert "dispute decision" in str(list(response.wsgi_request._messages)[0])
    with pytest.raises(ReviewInvalid, match="dispute decision"):
        edit_review(
            review=review,
            by=cast.qa,
            ratings=full_ratings(chat_rubric(), 0),
            overall_comment="",
            reason="x",
        )
    decide_dispute(dispute=dispute, by=cast.qa, accepted={criteria()[1].code}, reason="Fair")
    review.refresh_from_db()
    assert review.status == ReviewStatus.FINAL
    assert review.revisions.get().final_score == 80  # the decision kept the earlier version
    with pytest.raises(ReviewInvalid, match="dispute decision"):
        edit_review(
            review=review,
            by=cast.lead,
            ratings=full_ratings(chat_rubric(), 0),
            overall_comment="",
            reason="x",
        )
    assert Review.objects.drifted() == []


def test_a_second_decision_on_the_same_dispute_is_refused(cast):
    review = submitted_review(cast.conversation, cast.qa, position=1)
    dispute = dispute_one(cast, review)
    decide_dispute(dispute=dispute, by=cast.qa, accepted=set(), reason="No")
    with pytest.raises(ReviewInvalid, match="already decided"):
        decide_dispute(dispute=dispute, by=cast.lead, accepted={criteria()[1].code}, reason="Y")
    assert Review.objects.get().final_score == 80


def test_the_dispute_deadline_runs_from_the_first_submission(cast, submitted, settings):
    settings.SUPPORTQA_DISPUTE_DAYS = 3
    Review.objects.filter(pk=submitted.pk).update(
        submitted_at=submitted.submitted_at - timedelta(days=4)
    )
    submitted.refresh_from_db()
    edit_review(
        review=submitted,
        by=cast.qa,
        ratings=full_ratings(chat_rubric(), 1),
        overall_comment="",
        reason="Recalibrated",
    )
    with pytest.raises(ReviewInvalid, match="deadline"):
        dispute_one(cast, Review.objects.get())


def test_calibration_reviews_are_frozen_at_the_reveal(cast):
    conversations = [make_conversation(cast.agent, cast.team, f"cal{i}") for i in range(3)]
    session = create_session(
        title="Frozen",
        version=chat_rubric(),
        organiser=cast.lead,
        conversations=conversations,
        participants=[cast.qa, cast.manager],
    )
    version = chat_rubric()
    for i, conversation in enumerate(conversations):
        for reviewer, level in ((cast.qa, i % 3), (cast.manager, (i + 1) % 3)):
            save_review(
                conversation=conversation,
                reviewer=reviewer,
                source=Source.CALIBRATION,
                version=version,
                ratings=full_ratings(version, level),
                submit=True,
                calibration_session=session,
            )
    reveal_session(session=session, by=cast.lead)
    alpha = session_results(session).overall_alpha
    url = reverse("calibration-review", args=[session.code, conversations[0].code])
    response = cast.client(cast.qa).post(url, form({"tone": "1"}, action="submit"))
    assert response.status_code == 400
    assert "frozen" in response.content.decode()
    review = Review.objects.get(
        calibration_session=session, reviewer=cast.qa, conversation=conversations[0]
    )
    with pytest.raises(ReviewInvalid, match="frozen"):
        edit_review(
            review=review,
            by=cast.qa,
            ratings=full_ratings(version, 1),
            overall_comment="",
            reason="After the discussion",
        )
    assert session_results(session).overall_alpha == alpha


def test_the_demo_keeps_every_stored_score_equal_to_its_ratings(db, settings, tmp_path):
    """The invariant on the demo organisation: human, calibration and AutoQA reviews."""
    settings.DATA_DIR = tmp_path  # the demo trains the categorizer into the data folder
    call_command("demo", conversations=240, reviews=80, no_progress=True, verbosity=0)
    assert Review.objects.scored().filter(source=Source.AUTOQA).count() > 200
    assert Review.objects.scored().exclude(source=Source.AUTOQA).count() > 80
    assert Review.objects.drifted() == []
    call_command("audit_verify", verbosity=0)


def test_audit_verify_reports_a_drifted_score(cast, submitted):
    Review.objects.filter(pk=submitted.pk).update(final_score=42)
    with pytest.raises(Exception, match="1 problems found"):
        call_command("audit_verify", verbosity=0)


# --- property: any sequence of review actions leaves every score equal to its ratings -------

LEVELS = st.lists(st.integers(min_value=0, max_value=3), min_size=8, max_size=8)  # 3 = N/A
CHOSEN = st.sets(st.integers(min_value=0, max_value=7), max_size=3)
# Mostly the people who may act, sometimes those who may not (their attempts are refused).
ACTORS = {
    "draft": ["qa", "qa", "lead", "agent"],
    "submit": ["qa", "qa", "lead", "teammate"],
    "edit": ["qa", "lead", "agent", "teammate"],
    "dispute": ["agent", "agent", "qa"],
    "decide": ["qa", "lead", "agent"],
}
ACTIONS = st.sampled_from(list(ACTORS)).flatmap(
    lambda action: st.tuples(st.just(action), st.sampled_from(ACTORS[action]), LEVELS, CHOSEN)
)
# Most sequences start from QA's submitted review, so edits, disputes and decisions act on one.
FIRST = st.tuples(
    st.just("submit"),
    st.just("qa"),
    st.lists(st.integers(min_value=0, max_value=2), min_size=8, max_size=8),
    st.just(frozenset()),
)


def ratings_from(levels: list[int]) -> dict[str, RatingInput]:
    return {
        c.code: RatingInput(na=True) if level == 3 else RatingInput(option_position=level)
        for c, level in zip(criteria(), levels, strict=True)
    }


def apply(cast, action: str, actor_name: str, levels: list[int], chosen: set[int]) -> None:
    actor = getattr(cast, actor_name)
    review = Review.objects.filter(conversation=cast.conversation, reviewer=cast.qa).first()
    codes = [c.code for c in criteria()]
    if action in ("draft", "submit"):
        save_review(
            conversation=cast.conversation,
            reviewer=actor,
            source=Source.QA if actor_name == "qa" else Source.MANAGER,
            version=chat_rubric(),
            ratings=ratings_from(levels),
            submit=action == "submit",
        )
    elif review is None:
        return
    elif action == "edit":
        edit_review(
            review=review,
            by=actor,
            ratings=ratings_from(levels),
            overall_comment="",
            reason="property",
        )
    elif action == "dispute":
        proposals = {codes[i]: RatingInput(option_position=levels[i] % 3) for i in chosen}
        raise_dispute(review=review, by=actor, proposals=proposals, reason="property")
    elif review.disputes.filter(status="open").exists():
        decide_dispute(
            dispute=review.disputes.get(status="open"),
            by=actor,
            accepted={codes[i] for i in chosen},
            reason="property",
        )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=st.lists(FIRST, max_size=1), rest=st.lists(ACTIONS, min_size=1, max_size=6))
def test_no_sequence_of_actions_makes_a_score_drift(cast, first, rest):
    steps = first + rest
    with transaction.atomic():
        first_submission = {}
        for action, actor, levels, chosen in steps:
            before = {r.pk: state(r) for r in Review.objects.all()}
            try:
                with transaction.atomic():
                    apply(cast, action, actor, levels, chosen)
            except ReviewInvalid:
                after = {r.pk: state(r) for r in Review.objects.all()}
                assert after == before  # a refusal changes nothing
            for review in Review.objects.exclude(submitted_at=None):
                first = first_submission.setdefault(review.pk, review.submitted_at)
                assert review.submitted_at == first  # never moves
        assert Review.objects.drifted() == []
        transaction.set_rollback(True)


def test_earlier_versions_say_what_changed(cast, submitted):
    edit_review(
        review=submitted,
        by=cast.qa,
        ratings={**full_ratings(chat_rubric(), 0), criteria()[2].code: RatingInput(1)},
        overall_comment="",
        reason="Tone was only fine",
    )
    page = cast.client(cast.agent).get(reverse("review-detail", args=[submitted.code]))
    ((_, rows),) = page.context["revisions"]
    changed = [(r["criterion"], r["became"]) for r in rows if "became" in r]
    assert changed == [(criteria()[2].key, "Meets Expectations")]
    assert "changed to Meets Expectations" in page.content.decode()


def test_a_dispute_without_a_proposed_rating_keeps_the_reason(cast, submitted):
    code = criteria()[0].code
    url = reverse("dispute-raise", args=[submitted.code])
    data = {f"dispute-{code}": "1", f"proposed-{code}": "", "reason": "I did reply quickly"}
    response = cast.client(cast.agent).post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "choose the rating you propose" in body
    assert "I did reply quickly</textarea>" in body
