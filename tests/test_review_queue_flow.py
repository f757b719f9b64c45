"""Reviewing from a queue: "Submit and next", the way back to the queue, the score so far."""

from __future__ import annotations

from django.urls import reverse

from supportqa.assignments.models import AssignmentItem
from supportqa.scorecards.models import Criterion
from tests.conftest import chat_rubric, queue_for


def queued(cast, count=3):
    queue_for(cast, cast.qa, conversations=count, quota=count)
    return [i.conversation for i in AssignmentItem.objects.order_by("assignment__due_at", "pk")]


def every_rating(level: str = "1") -> dict[str, str]:
    data = {
        f"rating-{c.code}": level for c in Criterion.objects.filter(section__version=chat_rubric())
    }
    return {**data, "scorecard": "chat-quality"}


def test_submit_and_next_goes_to_the_next_conversation_then_back_to_the_queue(cast):
    first, second, third = queued(cast)
    client = cast.client(cast.qa)
    page = client.get(reverse("conversation-detail", args=[first.code]))
    body = page.content.decode()
    assert "Submit and next" in body and "(3 left)" in body
    response = client.post(
        reverse("conversation-detail", args=[first.code]),
        {**every_rating(), "action": "submit-next"},
    )
    assert response["Location"] == reverse("conversation-detail", args=[second.code])
    client.post(
        reverse("conversation-detail", args=[second.code]),
        {**every_rating(), "action": "submit-next"},
    )
    last = client.post(
        reverse("conversation-detail", args=[third.code]),
        {**every_rating(), "action": "submit-next"},
    )
    assert last["Location"] == reverse("queue")
    assert not AssignmentItem.objects.filter(review__isnull=True).exists()


def test_conversations_outside_the_queue_have_no_submit_and_next(cast):
    body = (
        cast.client(cast.qa)
        .get(reverse("conversation-detail", args=[cast.conversation.code]))
        .content.decode()
    )
    assert "Submit and next" not in body and "Submit review" in body


def test_a_refused_submit_and_next_stays_on_the_conversation(cast):
    first, *_ = queued(cast, 2)
    response = cast.client(cast.qa).post(
        reverse("conversation-detail", args=[first.code]),
        {"scorecard": "chat-quality", "action": "submit-next"},
    )
    assert response.status_code == 400
    assert AssignmentItem.objects.filter(review__isnull=True).count() == 2


def test_the_autosave_answers_with_the_score_so_far(cast):
    url = reverse("conversation-detail", args=[cast.conversation.code])
    criteria = list(Criterion.objects.filter(section__version=chat_rubric()))
    ordinary = next(c for c in criteria if not c.critical)
    response = cast.client(cast.qa).post(
        url,
        {f"rating-{ordinary.code}": "1", "scorecard": "chat-quality", "action": "draft"},
        headers={"Accept": "application/json"},
    )
    html = response.json()["score_html"]
    assert "80.0%" in html and "1 of 8 rated" in html and "passes 80%" in html
    critical = next(c for c in criteria if c.critical)
    response = cast.client(cast.qa).post(
        url,
        {
            f"rating-{ordinary.code}": "0",
            f"rating-{critical.code}": "2",
            "scorecard": "chat-quality",
            "action": "draft",
        },
        headers={"Accept": "application/json"},
    )
    html = response.json()["score_html"]
    assert "critical fail" in html and "raw 50.0%" in html
    page = cast.client(cast.qa).get(url).content.decode()
    assert "critical fail" in page  # the saved draft's score when the page opens
