"""Blind review: a reviewer's judgement is not anchored by AutoQA's or other people's."""

from __future__ import annotations

from django.urls import reverse

from supportqa.accounts.models import Organisation
from supportqa.calibration.actions import create_session
from supportqa.reviews.models import Review, Source
from tests.conftest import chat_rubric, submitted_review


def workspace(cast, who, conversation):
    return cast.client(getattr(cast, who)).get(
        reverse("conversation-detail", args=[conversation.code])
    )


def with_autoqa_and_a_lead_review(cast):
    automatic = submitted_review(cast.conversation, cast.manager, position=0)
    Review.objects.filter(pk=automatic.pk).update(source=Source.AUTOQA)
    return submitted_review(cast.conversation, cast.lead, position=1)


def test_without_blind_review_a_reviewer_sees_autoqa_and_other_reviews(cast):
    lead_review = with_autoqa_and_a_lead_review(cast)
    page = workspace(cast, "qa", cast.conversation)
    assert page.context["autoqa"] is not None
    assert list(page.context["others"]) == [lead_review]
    assert not page.context["blind"]


def test_blind_review_hides_both_until_the_reviewer_submits(cast):
    Organisation.objects.create(blind_review=True)
    lead_review = with_autoqa_and_a_lead_review(cast)
    page = workspace(cast, "qa", cast.conversation)
    assert page.context["blind"] and page.context["autoqa"] is None
    assert list(page.context["others"]) == []
    assert "Blind review." in page.content.decode()
    assert lead_review.code not in page.content.decode()
    submitted_review(cast.conversation, cast.qa, position=1)
    after = workspace(cast, "qa", cast.conversation)
    assert not after.context["blind"] and after.context["autoqa"] is not None
    assert list(after.context["others"]) == [lead_review]


def test_a_self_review_is_blind_too(cast):
    Organisation.objects.create(blind_review=True)
    with_autoqa_and_a_lead_review(cast)
    own = workspace(cast, "teammate", cast.teammate_conversation)  # a self review
    assert own.context["blind"] and own.context["autoqa"] is None


def test_calibration_participants_never_see_autoqa_while_reviewing(cast):
    automatic = submitted_review(cast.teammate_conversation, cast.manager, position=0)
    Review.objects.filter(pk=automatic.pk).update(source=Source.AUTOQA)
    session = create_session(
        title="Blind by design",
        version=chat_rubric(),
        organiser=cast.lead,
        conversations=[cast.teammate_conversation],
        participants=[cast.qa],
    )
    page = cast.client(cast.qa).get(
        reverse("calibration-review", args=[session.code, cast.teammate_conversation.code])
    )
    assert page.status_code == 200
    assert page.context["autoqa"] is None and list(page.context["others"]) == []
