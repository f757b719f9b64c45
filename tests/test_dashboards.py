from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportqa.reviews.models import Review
from supportqa.surveys.models import SurveyResponse, SurveySent
from tests.conftest import make_conversation, submitted_review


def grow(cast, count: int) -> None:
    now = timezone.now()
    for i in range(count):
        agent = cast.agent if i % 2 else cast.teammate
        conversation = make_conversation(
            agent, cast.team, f"g{i}-{count}", created=now - timedelta(days=i % 20 + 1)
        )
        submitted_review(conversation, cast.qa, position=i % 3)
        sent = SurveySent.objects.create(conversation=conversation, sent_at=now)
        SurveyResponse.objects.create(
            source="t",
            external_id=f"s{i}-{count}",
            survey=sent,
            conversation=conversation,
            agent=agent,
            csat=1 + i % 5,
            nps=i % 11,
            ces=1 + i % 7,
            answered_at=now - timedelta(days=i % 20),
        )


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["conversation-list", "team-detail", "agent-detail", "agent-list"])
def test_query_count_does_not_grow_with_data(cast, page):
    args = {"team-detail": [cast.team.code], "agent-detail": [cast.agent.code]}.get(page, [])
    path = reverse(page, args=args)
    client = cast.client(cast.qa)
    grow(cast, 3)
    small = queries(client, path)
    grow(cast, 12)
    large = queries(client, path)
    assert small == large
    assert (
        large
        <= {"conversation-list": 8, "team-detail": 14, "agent-detail": 16, "agent-list": 5}[page]
    )


def test_team_panel_figures_match_the_data(cast):
    grow(cast, 10)
    response = cast.client(cast.lead).get(reverse("team-detail", args=[cast.team.code]))
    panel = response.context["panel"]
    scores = list(Review.objects.values_list("final_score", flat=True))
    assert panel.iqs.n == 10
    assert panel.iqs.value == pytest.approx(sum(scores) / len(scores))
    assert panel.csat.n == 10
    assert panel.csat.value == pytest.approx(40.0)  # csat 4 or 5 for i % 5 in {3, 4}
    assert panel.response_rate.value == pytest.approx(100.0)
    assert panel.volume == 12  # 10 grown + Team A's 2 cast conversations, all inside 90 days
    assert panel.first_response.median == 120


def test_agent_page_shows_criterion_breakdown_with_intervals(cast):
    grow(cast, 6)
    response = cast.client(cast.agent).get(reverse("agent-detail", args=[cast.agent.code]))
    names = [name for name, _ in response.context["criteria"]]
    assert "Compliance with Procedures" in names
    body = response.content.decode()
    assert "95% CI" in body and "<svg" in body
