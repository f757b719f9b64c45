from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from supportqa.audit.models import AuditEvent
from supportqa.reviews.models import Dispute, Review, ReviewStatus
from supportqa.scorecards.models import Criterion
from tests.conftest import chat_rubric, submitted_review


def criterion(key):
    return Criterion.objects.get(section__version=chat_rubric(), key=key)


@pytest.fixture
def review(cast):
    return submitted_review(cast.conversation, cast.qa, position=1)  # all "Meets": 80


def dispute(cast, review, proposals: dict[str, str], reason="The customer was thanked twice."):
    data = {"reason": reason}
    for key, proposed in proposals.items():
        code = criterion(key).code
        data[f"dispute-{code}"] = "1"
        data[f"proposed-{code}"] = proposed
    return cast.client(cast.agent).post(reverse("dispute-raise", args=[review.code]), data)


def test_agent_disputes_and_the_reviewer_accepts_part(cast, review):
    assert dispute(cast, review, {"tone": "0", "follow-up": "0"}).status_code == 302
    open_dispute = Dispute.objects.get()
    assert Review.objects.get().status == ReviewStatus.DISPUTED
    url = reverse("dispute-decide", args=[review.code, open_dispute.code])
    response = cast.client(cast.qa).post(
        url, {"accept": [criterion("tone").code], "decision_reason": "Fair point on tone."}
    )
    assert response.status_code == 302
    decided = Dispute.objects.get()
    assert decided.status == Dispute.Status.PARTIAL
    changed = Review.objects.get()
    # tone: Meets (80) -> Exceeds (100); 7 criteria at 80 and one at 100 -> 82.5
    assert changed.final_score == pytest.approx(82.5)
    assert (decided.score_before, decided.score_after) == (80, pytest.approx(82.5))
    assert changed.status == ReviewStatus.FINAL
    assert (
        changed.ratings.get(criterion=criterion("follow-up")).option.label == "Meets Expectations"
    )
    assert AuditEvent.objects.filter(action="dispute.decided").exists()


def test_only_the_reviewed_agent_can_dispute(cast, review):
    url = reverse("dispute-raise", args=[review.code])
    assert cast.client(cast.teammate).post(url, {}).status_code == 404  # out of scope
    assert cast.client(cast.lead).post(url, {}).status_code == 404  # in scope, not the agent
    assert cast.client(cast.agent).get(url).status_code == 405


def test_bad_disputes_are_refused_with_reasons(cast, review):
    nothing = dispute(cast, review, {})
    assert nothing.status_code == 400
    assert "choose at least one rating" in nothing.content.decode()
    same = dispute(cast, review, {"tone": "1"})
    assert same.status_code == 400 and "propose a different rating" in same.content.decode()
    no_reason = dispute(cast, review, {"tone": "0"}, reason=" ")
    assert no_reason.status_code == 400
    nul = dispute(cast, review, {"tone": "0"}, reason="wrong\x00")  # PostgreSQL refuses NUL
    assert nul.status_code == 400 and "NUL" in nul.content.decode()
    assert not Dispute.objects.exists()


def test_dispute_deadline(cast, review, settings):
    Review.objects.filter(pk=review.pk).update(
        submitted_at=review.submitted_at - timedelta(days=settings.SUPPORTQA_DISPUTE_DAYS + 1)
    )
    response = dispute(cast, review, {"tone": "0"})
    assert response.status_code == 400 and "deadline" in response.content.decode()


def test_agent_cannot_decide_and_outsiders_get_404(cast, review):
    dispute(cast, review, {"tone": "0"})
    url = reverse("dispute-decide", args=[review.code, Dispute.objects.get().code])
    assert cast.client(cast.agent).post(url, {"decision_reason": "x"}).status_code == 404
    assert cast.client(cast.other_agent).post(url, {"decision_reason": "x"}).status_code == 404
    rejected = cast.client(cast.lead).post(url, {"decision_reason": "Ratings stand."})
    assert rejected.status_code == 302
    assert Dispute.objects.get().status == Dispute.Status.REJECTED
    assert Review.objects.get().final_score == 80


def test_overturn_rate_per_reviewer_with_interval(cast, review):
    dispute(cast, review, {"tone": "0"})
    d = Dispute.objects.get()
    cast.client(cast.qa).post(
        reverse("dispute-decide", args=[review.code, d.code]),
        {"accept": [criterion("tone").code], "decision_reason": "ok"},
    )
    rows = cast.client(cast.manager).get(reverse("reviewer-list")).context["reviewers"]
    qa = next(r for r in rows if r["user"] == cast.qa)
    assert qa["overturn"].value == 100 and qa["overturn"].n == 1
    assert qa["overturn"].low == pytest.approx(20.65, abs=0.01)  # Wilson 1/1 lower bound


def test_a_refused_dispute_keeps_what_the_agent_typed(cast, review):
    """No reason given: refused, and the ticked rating, the proposal and the text stay."""
    tone = criterion("tone").code
    response = cast.client(cast.agent).post(
        reverse("dispute-raise", args=[review.code]),
        {f"dispute-{tone}": "1", f"proposed-{tone}": "0", "reason": "  "},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(f'name="dispute-{tone}" value="1" aria-label="[^"]*" checked', page)
    assert '<option value="0" selected>' in page
    response = cast.client(cast.agent).post(
        reverse("dispute-raise", args=[review.code]), {"reason": "I typed all this"}
    )
    assert response.status_code == 400
    assert "I typed all this</textarea>" in response.content.decode()


def test_a_double_click_files_one_dispute_and_shows_no_error(cast, review):
    first = dispute(cast, review, {"tone": "0"})
    second = dispute(cast, review, {"tone": "0"})
    assert first.status_code == second.status_code == 302
    assert Dispute.objects.count() == 1


def test_a_double_click_on_decide_shows_no_error(cast, review):
    dispute(cast, review, {"tone": "0"})
    url = reverse("dispute-decide", args=[review.code, Dispute.objects.get().code])
    data = {"accept": [criterion("tone").code], "decision_reason": "Fair."}
    assert cast.client(cast.qa).post(url, data).status_code == 302
    assert cast.client(cast.qa).post(url, data).status_code == 302
    late = cast.client(cast.lead).post(url, data)  # someone else, after the decision
    assert late.status_code == 400 and "already decided" in late.content.decode()


def test_autoqa_reviews_offer_no_dispute_form(cast, review):
    Review.objects.filter(pk=review.pk).update(source="autoqa")
    page = cast.client(cast.agent).get(reverse("review-detail", args=[review.code]))
    assert page.context["can_dispute"] is False
    assert "Dispute this review" not in page.content.decode()
