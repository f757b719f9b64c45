"""The 360° view on the agent page and the conversation page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportqa.reviews.actions import RatingInput, save_review
from supportqa.reviews.models import Review, Source
from supportqa.scorecards.models import Criterion
from tests.conftest import chat_rubric, full_ratings, submitted_review


def review_as(reviewer, source, conversation, position):
    version = chat_rubric()
    return save_review(
        conversation=conversation,
        reviewer=reviewer,
        source=source,
        version=version,
        ratings=full_ratings(version, position),
        submit=True,
    )


def test_the_agent_page_sets_each_source_beside_the_others(cast):
    review_as(cast.agent, Source.SELF, cast.conversation, 0)  # Exceeds everywhere: 100
    submitted_review(cast.conversation, cast.qa, position=1)  # Meets: 80
    automatic = submitted_review(cast.conversation, cast.lead, position=2)  # Below: 0
    Review.objects.filter(pk=automatic.pk).update(source=Source.AUTOQA)
    page = cast.client(cast.lead).get(reverse("agent-detail", args=[cast.agent.code]))
    t = page.context["three_sixty"]
    assert [s for s, _ in t.sources] == ["self", "qa", "autoqa"]
    assert len(t.rows) == 8
    name, tone = t.rows[0]
    assert (tone["self"].value, tone["qa"].value, tone["autoqa"].value) == (100, 80, 0)
    # self: 100 − (80 + 0) / 2 = +60; QA: 80 − 50 = +30; AutoQA: 0 − 90 = −90, on every criterion
    assert t.gaps == {
        "self": pytest.approx(60),
        "qa": pytest.approx(30),
        "autoqa": pytest.approx(-90),
    }
    assert "360° view" in page.content.decode() and "+60.0" in page.content.decode()


def test_the_conversation_page_shows_the_view_once_two_sources_rated_it(cast):
    url = reverse("conversation-detail", args=[cast.conversation.code])
    submitted_review(cast.conversation, cast.qa, position=1)
    client = cast.client(cast.lead)
    client.get(url)
    with CaptureQueriesContext(connection) as one_source:
        assert not client.get(url).context["three_sixty"].compared
    # One source: no ratings, sums or criterion names read for a view the page does not show.
    assert not [q for q in one_source if 'AS "criterion__key"' in q["sql"]]
    assert not [q for q in one_source if 'AS "squares"' in q["sql"]]
    review_as(cast.lead, Source.MANAGER, cast.conversation, 0)
    page = cast.client(cast.lead).get(url)
    assert [s for s, _ in page.context["three_sixty"].sources] == ["manager", "qa"]
    assert "Lead or manager" in page.content.decode()


def test_the_view_only_uses_reviews_the_person_may_see(cast):
    """Calibration reviews and drafts never count; an agent sees only their own reviews."""
    submitted_review(cast.teammate_conversation, cast.qa, position=2)
    page = cast.client(cast.agent).get(reverse("agent-detail", args=[cast.agent.code]))
    assert page.context["three_sixty"].rows == []


def test_the_agent_page_names_strengths_and_gaps_with_example_conversations(cast):
    """Issue #15 §4: a criterion whose whole interval lies above the pass mark is a strength,
    one whose whole interval lies below it an area below expectation, each with the
    conversations rated best or worst on it."""
    from supportqa.reports import areas
    from supportqa.reports.metrics import criterion_sums, scored_reviews
    from supportqa.reports.periods import Period
    from tests.conftest import make_conversation

    for i in range(6):
        conversation = make_conversation(cast.agent, cast.team, f"a{i}")
        conversation.created_at = timezone.now() - timedelta(days=1)
        conversation.save()
        # Every criterion "Exceeds" but tone "Below" (positions: 0 Exceeds, 2 Below).
        version = chat_rubric()
        ratings = {
            c.code: RatingInput(option_position=2 if c.key == "tone" else 0)
            for c in Criterion.objects.filter(section__version=version)
        }
        submitted_review(conversation, cast.qa, ratings=ratings)
    period = Period(timezone.now() - timedelta(days=7), timezone.now() + timedelta(hours=1))
    reviews = Review.objects.filter(reviewee=cast.agent)
    placed = areas.placed(reviews, period, criterion_sums(scored_reviews(reviews, period)))
    assert [a.name for a in placed.below] == ["Tone and Professionalism"]
    assert "Clarity of Communication" in [a.name for a in placed.strengths]
    assert len(placed.below[0].examples) == 2
    assert all(r.criterion.key == "tone" and r.score == 0 for r in placed.below[0].examples)
    page = cast.client(cast.lead).get(f"/agents/{cast.agent.code}/").content.decode()
    assert "Strengths and areas below expectation" in page and "Tone and Professionalism" in page


def test_the_agent_pages_autoqa_column_is_read_from_its_rollups_by_conversation_day(cast):
    """The AutoQA column counts AutoQA reviews of the conversations created in the period, as
    the AutoQA page does (not by submission: an import of old conversations is scored today),
    with the means and intervals of its raw ratings to 1e-9; the human sources count reviews
    submitted in it."""
    from statistics import mean

    from supportqa.core.intervals import mean_interval_from_sums
    from tests.conftest import make_conversation

    now = timezone.now()
    inside, old = (
        [],
        make_conversation(cast.agent, cast.team, "old", created=now - timedelta(days=200)),
    )
    for i in range(4):
        inside.append(
            make_conversation(cast.agent, cast.team, f"in{i}", created=now - timedelta(days=3 + i))
        )
    # Today is not over: its conversations are read from the raw rows, not the rollups.
    inside.append(
        make_conversation(cast.agent, cast.team, "today", created=now - timedelta(minutes=5))
    )
    for i, conversation in enumerate([*inside, old]):
        auto = review_as(cast.lead, Source.QA, conversation, i % 3)
        Review.objects.filter(pk=auto.pk).update(source=Source.AUTOQA)  # submitted now
    submitted_review(inside[0], cast.qa, position=1)
    page = cast.client(cast.lead).get(reverse("agent-detail", args=[cast.agent.code]) + "?days=30")
    t = page.context["three_sixty"]
    autoqa = Review.objects.filter(source=Source.AUTOQA, conversation__in=inside)
    scores = [r.final_score for r in autoqa]
    expected = mean_interval_from_sums(len(scores), sum(scores), sum(s * s for s in scores))
    assert t.overall["autoqa"].value == pytest.approx(mean(scores), abs=1e-9)
    assert t.overall["autoqa"].low == pytest.approx(max(0.0, expected.low), abs=1e-9)
    from supportqa.reviews.models import Rating

    for name, by_source in t.rows:
        key = next(k for k, n in Criterion.latest_names().items() if n == name)
        raw = [
            r.score
            for r in Rating.objects.filter(review__in=autoqa, criterion__key=key, is_na=False)
        ]
        assert by_source["autoqa"].value == pytest.approx(mean(raw), abs=1e-9)
        assert by_source["autoqa"].high == pytest.approx(
            mean_interval_from_sums(len(raw), sum(raw), sum(x * x for x in raw)).high, abs=1e-9
        )
        assert by_source["qa"].value is not None
    assert [s for s, _ in t.sources] == ["qa", "autoqa"]
