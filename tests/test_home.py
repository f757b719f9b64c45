"""Each role's home page: what concerns that person, within their scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportqa.autoqa.models import Job
from supportqa.reviews.actions import RatingInput, acknowledge_review, raise_dispute
from supportqa.reviews.models import Review, Source
from tests.conftest import make_conversation, make_user, queue_for, submitted_review


def home(cast, who: str):
    # 90 days: the cast's conversations are 30 days old at 09:00 UTC, the edge of the default
    # 30-day period (in it before 09:00, out of it after).
    response = cast.client(getattr(cast, who)).get(reverse("home"), {"days": "90"})
    assert response.status_code == 200
    return response


def dispute(review, agent):
    code = next(iter(review.ratings.select_related("criterion"))).criterion.code
    return raise_dispute(review=review, by=agent, proposals={code: RatingInput(0)}, reason="No")


def test_an_agent_sees_their_figures_what_to_acknowledge_and_autoqa_apart(cast):
    waiting = submitted_review(cast.conversation, cast.qa, position=1)
    seen = submitted_review(make_conversation(cast.agent, cast.team, "h2"), cast.lead)
    acknowledge_review(review=seen, by=cast.agent)
    Review.objects.filter(pk=seen.pk).update(source=Source.MANAGER)
    teammate = submitted_review(cast.teammate_conversation, cast.qa)
    automatic = submitted_review(make_conversation(cast.agent, cast.team, "h3"), cast.qa)
    Review.objects.filter(pk=automatic.pk).update(source=Source.AUTOQA)
    cards = home(cast, "agent").context["agent"]
    assert [r for r, _ in cards.to_acknowledge] == [waiting]
    assert cards.to_acknowledge[0][1] > timezone.now()  # the dispute deadline shown with it
    assert set(cards.human) == {waiting, seen} and teammate not in cards.human
    assert cards.autoqa == [Review.objects.get(pk=automatic.pk)]
    assert cards.panel.iqs.n == 2  # AutoQA is not part of the IQS
    assert home(cast, "agent").context["team"] is None  # no team table for agents


def test_an_agent_sees_open_disputes_and_critical_fails(cast):
    review = submitted_review(cast.conversation, cast.qa, position=2)  # "Below" everywhere
    assert review.critical_failed
    dispute(review, cast.agent)
    cards = home(cast, "agent").context["agent"]
    assert [d.review for d in cards.disputes] == [review]
    assert cards.critical == [Review.objects.get(pk=review.pk)]
    assert cards.to_acknowledge == []  # disputed, not waiting


def test_a_lead_sees_their_agents_only_and_the_disputes_to_decide(cast):
    mine = submitted_review(cast.conversation, cast.qa, position=1)
    other = submitted_review(cast.other_conversation, cast.qa, position=1)
    dispute(mine, cast.agent)
    dispute(other, cast.other_agent)
    page = home(cast, "lead")
    team = page.context["team"]
    assert team.by == "agent"
    assert {row["agent"] for row in team.rows} == {cast.agent, cast.teammate, cast.peer}
    row = next(r for r in team.rows if r["agent"] == cast.agent)
    assert row["standing"].iqs.n == 1 and row["figures"].volume == 1
    assert [d.review for d in team.disputes] == [mine]
    assert page.context["admin"] is None


def test_a_manager_sees_every_team_side_by_side(cast):
    submitted_review(cast.conversation, cast.qa, position=1)
    team = home(cast, "manager").context["team"]
    assert team.by == "team"
    assert [row["team"] for row in team.rows] == [cast.team, cast.other_team]
    assert team.rows[0]["figures"].iqs.n == 1 and team.rows[1]["figures"].volume == 1


def test_a_reviewer_sees_the_queue_with_start_and_disputes_on_their_reviews(cast):
    queue_for(cast, cast.qa, conversations=3, quota=2)
    disputed = submitted_review(cast.conversation, cast.qa, position=1)
    dispute(disputed, cast.agent)
    page = home(cast, "qa")
    cards = page.context["reviewer"]
    assert cards.queue_left == 2 and cards.queue_done == 0
    start = reverse("conversation-detail", args=[cards.next_item.conversation.code])
    assert f'href="{start}">Start' in page.content.decode()
    assert [d.review for d in cards.disputes] == [disputed]
    assert page.context["team"] is None  # QA reviewers are not arbiters
    cycles = home(cast, "lead").context["team"].cycles
    assert [(c["assigned"], c["reviewed"]) for c in cycles] == [(2, 0)]


def test_a_reviewer_is_shown_the_calibration_they_still_owe(cast):
    from supportqa.calibration.actions import create_session
    from tests.conftest import chat_rubric

    session = create_session(
        title="Owed",
        version=chat_rubric(),
        organiser=cast.lead,
        conversations=[make_conversation(cast.agent, cast.team, "cal")],
        participants=[cast.qa],
    )
    assert home(cast, "qa").context["reviewer"].calibrations == [session]


def test_an_admin_sees_the_machinery_and_people_without_a_team(cast):
    Job.objects.create(conversation=cast.conversation, status=Job.Status.FAILED)
    loose = make_user("loose", "agent")
    cards = home(cast, "admin").context["admin"]
    assert cards.jobs == {"failed": 1}
    assert loose in cards.without_team and cast.agent not in cards.without_team


def test_a_mystery_shopper_is_told_what_the_role_does(cast):
    page = home(cast, "outsider")
    assert "Contact the support team as a customer would" in page.content.decode()
    assert "Nothing to do today" in page.content.decode()
    assert page.context["agent"] is None and page.context["reviewer"] is None


@pytest.mark.parametrize("who", ["agent", "lead", "manager", "admin"])
def test_the_home_query_count_does_not_grow_with_data(cast, who):
    client = cast.client(getattr(cast, who))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    count()  # the first read of all stamps the rollups' settings,
    count()  # which the next keeps with the other configuration reads (supportqa.configured)
    submitted_review(cast.conversation, cast.qa, position=1)
    small = count()
    for i in range(8):
        review = submitted_review(make_conversation(cast.agent, cast.team, f"g{i}"), cast.qa, 1)
        if i % 2:
            dispute(review, cast.agent)
    assert count() == small


def test_a_leads_home_reads_the_teams_they_lead_once(cast):
    """Every card scopes by the teams the lead leads: read once per request, not per card."""
    client = cast.client(cast.lead)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    led = [q for q in queries if "accounts_membership" in q["sql"] and "is_lead" in q["sql"]]
    assert len(led) == 1, [q["sql"][:200] for q in led]


@pytest.mark.parametrize("made", [1, 8, 9])
def test_an_agent_is_told_how_many_reviews_wait_beyond_the_eight_shown(cast, made):
    """Fewer than eight waiting are all listed and counted without a count query; from
    eight on, the count is read."""
    for i in range(made):
        submitted_review(make_conversation(cast.agent, cast.team, f"w{i}"), cast.qa)
    page = home(cast, "agent")
    cards = page.context["agent"]
    assert cards.waiting == made and len(cards.to_acknowledge) == min(made, 8)
    said = f"The 8 newest of {made}" in page.content.decode()
    assert said == (made > 8)


def test_the_cards_kept_reads_follow_each_person_their_teams_and_the_period(cast):
    """The cards' lists are compiled once per person and access (`access_key`): each person
    sees their own, a lead moved to another team sees that team's, and the critical fails
    follow the period chosen."""
    from datetime import timedelta

    from supportqa.accounts.models import Membership

    mine = submitted_review(cast.conversation, cast.qa, position=2)  # critical
    other = submitted_review(cast.other_conversation, cast.qa, position=2)
    dispute(mine, cast.agent)
    dispute(other, cast.other_agent)
    for _ in range(2):  # compiled, then kept
        assert [r.review for r in home(cast, "agent").context["agent"].disputes] == [mine]
        assert home(cast, "other_agent").context["agent"].disputes[0].review == other
        assert [d.review for d in home(cast, "lead").context["team"].disputes] == [mine]
    Membership.objects.filter(user=cast.lead).update(team=cast.other_team)
    assert [d.review for d in home(cast, "lead").context["team"].disputes] == [other]
    Review.objects.filter(pk=mine.pk).update(submitted_at=timezone.now() - timedelta(days=20))
    client = cast.client(cast.agent)
    month = client.get(reverse("home"), {"days": "30"}).context["agent"]
    week = client.get(reverse("home"), {"days": "7"}).context["agent"]
    assert [r.pk for r in month.critical] == [mine.pk] and week.critical == []
