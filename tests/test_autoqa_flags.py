"""People flag AutoQA's ratings as wrong (AutoQA's reviews are not disputed): the flag is
kept across re-scoring, counted on the AutoQA page and sends the conversation to a person."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportqa.accounts.models import Role
from supportqa.audit.models import AuditEvent
from supportqa.autoqa.actions import flag_ratings
from supportqa.autoqa.models import Flag, Job
from supportqa.reviews.actions import RatingInput, ReviewInvalid
from supportqa.reviews.models import Review, Source
from tests.conftest import make_conversation, make_user, submitted_review


@pytest.fixture
def automatic(cast):
    review = submitted_review(cast.conversation, cast.lead, position=1)
    Review.objects.filter(pk=review.pk).update(source=Source.AUTOQA)
    review.refresh_from_db()
    Job.objects.create(conversation=cast.conversation, status=Job.Status.DONE, confidence=0.95)
    return review


def first_rating(review):
    return review.ratings.select_related("criterion", "option").order_by("pk").first()


def test_the_agent_flags_a_rating_with_a_reason_and_what_it_should_be(cast, automatic):
    rating = first_rating(automatic)
    url = reverse("autoqa-flag", args=[automatic.code])
    page = cast.client(cast.agent).get(url)
    assert page.status_code == 200 and "cannot be disputed" in page.content.decode()
    code = rating.criterion.code
    response = cast.client(cast.agent).post(
        url, {f"flag-{code}": "1", f"proposed-{code}": "0", "reason": "I did greet them"}
    )
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert (flag.criterion_key, flag.rated, flag.raised_by) == (
        rating.criterion.key,
        rating.option.label,
        cast.agent,
    )
    assert flag.proposed == rating.criterion.options.first().label
    assert AuditEvent.objects.filter(action="autoqa.flagged").exists()


def test_a_refused_flag_keeps_what_was_typed(cast, automatic):
    code = first_rating(automatic).criterion.code
    url = reverse("autoqa-flag", args=[automatic.code])
    response = cast.client(cast.agent).post(url, {f"flag-{code}": "1", "reason": " "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "say why" in page and f'name="flag-{code}" value="1" checked' in page
    nothing = cast.client(cast.agent).post(url, {"reason": "It is all wrong"})
    assert "tick at least one" in nothing.content.decode()
    assert "It is all wrong</textarea>" in nothing.content.decode()
    assert not Flag.objects.exists()


def test_flagging_again_replaces_ones_own_flag(cast, automatic):
    code = first_rating(automatic).criterion.code
    for reason in ("first", "second"):
        flag_ratings(
            review=automatic, by=cast.agent, proposals={code: RatingInput()}, reason=reason
        )
    assert Flag.objects.get().reason == "second"


def test_human_reviews_cannot_be_flagged_and_others_agents_cannot_flag(cast, automatic):
    human = submitted_review(make_conversation(cast.agent, cast.team, "h"), cast.qa)
    with pytest.raises(ReviewInvalid):
        flag_ratings(review=human, by=cast.agent, proposals={}, reason="x")
    assert cast.client(cast.agent).get(reverse("autoqa-flag", args=[human.code])).status_code == 404
    teammate = cast.client(cast.teammate).get(reverse("autoqa-flag", args=[automatic.code]))
    assert teammate.status_code == 404


def test_a_flag_survives_rescoring_and_reaches_the_autoqa_page(cast, automatic):
    rating = first_rating(automatic)
    flag_ratings(
        review=automatic,
        by=cast.agent,
        proposals={rating.criterion.code: RatingInput()},
        reason="Wrong",
    )
    automatic.ratings.all().delete()  # AutoQA scores the conversation again
    page = cast.client(cast.qa).get(reverse("autoqa"))
    assert page.context["flags"] == {rating.criterion.key: 1}
    unsure = page.context["unsure"]
    assert [job.conversation for job in unsure] == [cast.conversation]  # sure, but flagged
    assert unsure[0].flags == 1
    assert "flagged" in page.content.decode()
    other_lead = make_user("lead.b", Role.LEAD, cast.other_team, lead=True)
    outside = cast.client(other_lead).get(reverse("autoqa"))  # another team's lead
    assert outside.context["flags"] == {} and outside.context["unsure"] == []


def test_the_review_page_offers_flagging_not_disputing_for_autoqa(cast, automatic):
    page = cast.client(cast.agent).get(reverse("review-detail", args=[automatic.code]))
    body = page.content.decode()
    assert reverse("autoqa-flag", args=[automatic.code]) in body
    assert "Dispute this review" not in body


def test_a_proposal_that_is_not_an_option_is_refused_like_a_disputes(cast, automatic):
    """Other scripts' digits, positions past the options: the criterion is named, no error."""
    code = first_rating(automatic).criterion.code
    url = reverse("autoqa-flag", args=[automatic.code])
    for wanted in ("²", "9"):
        response = cast.client(cast.agent).post(
            url, {f"flag-{code}": "1", f"proposed-{code}": wanted, "reason": "Wrong"}
        )
        assert response.status_code == 400 and "no such rating option" in response.content.decode()
    assert not Flag.objects.exists()
