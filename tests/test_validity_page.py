"""A scorecard's validity page: spreads from the ratings, outcomes by the dashboards' rules,
and the outcome model only where there are enough outcomes to fit it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportqa.conversations.models import Conversation
from supportqa.core import validity as core_validity
from supportqa.reports.validity import scorecard_validity
from supportqa.scorecards.models import Criterion, Scorecard
from supportqa.surveys.models import SurveyResponse
from tests.conftest import chat_rubric, full_ratings, make_conversation, submitted_review


def _reviewed(cast, count: int) -> None:
    """Conversations whose Tone is rated well exactly when the customer was satisfied; every
    other criterion alternates; all resolved, a third of them reopened."""
    tone = Criterion.objects.get(section__version=chat_rubric(), key="tone")
    for i in range(count):
        conversation = make_conversation(cast.agent, cast.team, f"v{i}")
        satisfied = i % 2 == 0
        ratings = full_ratings(chat_rubric(), position=i % 3)
        ratings[tone.code].option_position = 0 if satisfied else 2
        submitted_review(conversation, cast.qa, ratings=ratings)
        SurveyResponse.objects.create(
            source="t", external_id=f"sv{i}", conversation=conversation, agent=cast.agent,
            team=cast.team, csat=5 if satisfied else 1, answered_at=conversation.created_at,
        )  # fmt: skip
        Conversation.objects.filter(pk=conversation.pk).update(
            resolution_seconds=600, reopen_count=1 if i % 3 == 0 else 0
        )


def test_spreads_and_outcomes_come_from_the_raw_rows(cast):
    _reviewed(cast, 30)
    result = scorecard_validity(Scorecard.objects.get(slug="chat-quality"))
    rows = {row.key: row for row in result.rows}
    assert rows["tone"].spread.ratings == 30
    assert rows["tone"].spread.top == pytest.approx(0.5) and rows["tone"].spread.bottom == 0.5
    satisfied = result.models["satisfied"]
    assert satisfied.conversations == 30 and satisfied.events == 15
    assert "needs 80" in satisfied.problem  # 8 criteria × 10 events
    assert result.models["reopened"].events == 10  # a third of 30 reopened


def test_a_criterion_that_tracks_satisfaction_shows_a_clear_effect(cast, monkeypatch):
    monkeypatch.setattr(core_validity, "EVENTS_PER_TERM", 1)
    _reviewed(cast, 30)
    # Tone alone separates satisfied from not: the model cannot be estimated, and says so.
    result = scorecard_validity(Scorecard.objects.get(slug="chat-quality"))
    assert result.models["satisfied"].problem.startswith("cannot be estimated")
    page = cast.client(cast.admin).get(reverse("scorecard-validity", args=["chat-quality"]))
    assert page.status_code == 200
    assert "cannot be estimated" in page.content.decode()
    assert cast.client(cast.admin).get("/scorecards/nope/validity/").status_code == 404
