"""The topics page: topics of the customers' opening messages in scope, the one that surged
last week marked emerging, and the one never resolved marked a knowledge-base gap."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from supportqa.conversations.models import Conversation, Message
from supportqa.reports.staffing import this_monday
from tests.conftest import make_conversation

PHRASES = {
    "refund": "I want a refund for my order, it arrived broken",
    "password": "I cannot reset my password, the reset link does not work",
    "delivery": "Where is my delivery? The parcel tracking has not moved",
}


def _opened(cast, key: str, week: int, i: int, resolved: bool) -> None:
    monday = this_monday(timezone.now())
    at = monday - timedelta(weeks=week) + timedelta(days=i % 5, hours=10)
    conversation = make_conversation(cast.agent, cast.team, f"{key}-{week}-{i}", created=at)
    Message.objects.filter(conversation=conversation, seq=0).update(text=f"{PHRASES[key]} ({i})")
    Conversation.objects.filter(pk=conversation.pk).update(
        resolution_seconds=3600 if resolved else None
    )


def test_topics_emerging_and_gaps(cast):
    for week in range(1, 9):
        for i in range(4):
            _opened(cast, "refund", week, i, resolved=True)
            _opened(cast, "password", week, i, resolved=False)
        _opened(cast, "delivery", week, 0, resolved=True)
    for i in range(1, 15):  # last full week: delivery questions surge
        _opened(cast, "delivery", 1, i, resolved=True)
    page = cast.client(cast.lead).get(reverse("topics"), {"weeks": 8, "topics": 3})
    assert page.status_code == 200
    report = page.context["report"]
    assert len(report.rows) == 3
    rows = {k: r for r in report.rows for k in PHRASES if PHRASES[k] in r.examples[0][1]}
    assert rows["delivery"].growth.emerging and not rows["refund"].growth.emerging
    assert rows["password"].gap and not rows["refund"].gap
    assert rows["refund"].weekly == [4] * 8
    assert "emerging" in page.content.decode() and "gap candidate" in page.content.decode()


def test_too_few_conversations_and_bad_settings_are_said(cast):
    page = cast.client(cast.manager).get(reverse("topics"))
    assert page.status_code == 200 and "topics need at least 40 conversations" in (
        page.content.decode()
    )
    assert cast.client(cast.manager).get(reverse("topics"), {"weeks": 99}).status_code == 400
