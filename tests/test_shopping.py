"""Mystery shopping (issue #15 §2): scenarios with an evaluation form of their own kind,
assignments, the shopper recording a shop, its evaluation as a source of its own (in the 360°
view, never in IQS or the operational figures), and the dashboard's figures with intervals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportqa.accounts.models import Role
from supportqa.conversations.access import conversations_for
from supportqa.conversations.models import SHOP_SOURCE, Conversation
from supportqa.core.intervals import mean_interval, wilson
from supportqa.notifications.models import Kind, Notification
from supportqa.reviews.actions import RatingInput
from supportqa.reviews.models import Review, Source
from supportqa.reviews.three_sixty import three_sixty
from supportqa.scorecards.actions import publish_version
from supportqa.scorecards.models import Criterion, Scorecard
from supportqa.scorecards.picking import matching_scorecards
from supportqa.shopping import actions
from supportqa.shopping.actions import ShopError, assign, record_shop
from supportqa.shopping.defaults import evaluation_form
from supportqa.shopping.models import Assignment, Scenario
from supportqa.shopping.results import results
from tests.conftest import make_user, submitted_review


@pytest.fixture
def scenario(cast) -> Scenario:
    spec = evaluation_form()
    form = Scorecard.objects.create(slug=spec["slug"], name=spec["name"],
                                    kind=Scorecard.Kind.MYSTERY_SHOP)  # fmt: skip
    publish_version(scorecard=form, spec=spec, by=cast.admin)
    found = Scenario.objects.create(
        name="Refund by phone", objective="Are refunds explained?", script="Ask for a refund.",
        channel="phone", scorecard=form,
    )  # fmt: skip
    found.teams.add(cast.team)
    return found


@pytest.fixture
def shopper(cast):
    return make_user("shopper", Role.SHOPPER)


def ratings(scenario: Scenario, positions: dict[str, int] | None = None) -> dict:
    version = scenario.scorecard.current_version()
    return {
        c.code: RatingInput(option_position=(positions or {}).get(c.key, 1))
        for c in Criterion.objects.filter(section__version=version)
    }


def shop(cast, scenario, shopper, agent=None, positions=None) -> Review:
    assignment = assign(scenario=scenario, shopper=shopper, due=timezone.localdate(),
                        by=cast.qa)  # fmt: skip
    return record_shop(
        assignment=assignment, by=shopper, happened_at=timezone.now() - timedelta(hours=1),
        agent=agent or cast.agent, notes="Asked for a refund; told 5 days.",
        ratings=ratings(scenario, positions),
    )  # fmt: skip


def test_an_evaluation_form_is_never_offered_for_conversations(cast, scenario):
    assert scenario.scorecard not in matching_scorecards(cast.conversation)
    assert Scorecard.objects.get(slug="chat-quality") in matching_scorecards(cast.conversation)


def test_assigning_tells_the_shopper_and_refuses_what_cannot_be_done(cast, scenario, shopper):
    assignment = assign(scenario=scenario, shopper=shopper, due=timezone.localdate(), by=cast.qa)
    note = Notification.objects.get(kind=Kind.SHOP_ASSIGNED)
    assert note.user == shopper and "Refund by phone" in note.text
    assert assignment.state == Assignment.State.ASSIGNED
    with pytest.raises(ShopError) as refused:
        assign(scenario=scenario, shopper=cast.agent,
               due=timezone.localdate() - timedelta(days=1), by=cast.qa)  # fmt: skip
    assert set(refused.value.errors) == {"shopper", "due"}


def test_a_recorded_shop_is_a_review_of_its_own_source_outside_iqs(cast, scenario, shopper):
    review = shop(cast, scenario, shopper)
    assert review.source == Source.MYSTERY_SHOP and review.reviewee == cast.agent
    assert review.final_score == 80.0  # every behaviour "Meets" (80)
    assert not review.counts_toward_iqs
    assert Review.objects.counting_toward_iqs().filter(pk=review.pk).count() == 0
    contact = review.conversation
    assert (contact.source, contact.team, contact.channel) == (SHOP_SOURCE, cast.team, "phone")
    assert contact.messages.get().text == "Asked for a refund; told 5 days."
    # Out of the conversation pages and the operational figures.
    assert not conversations_for(cast.admin).filter(pk=contact.pk).exists()
    assignment = Assignment.objects.get()
    assert assignment.state == Assignment.State.DONE and assignment.conversation == contact


def test_the_360_view_shows_the_shop_beside_the_reviewers(cast, scenario, shopper):
    submitted_review(cast.conversation, cast.qa, position=0)  # QA: Exceeds (100) everywhere
    shop(cast, scenario, shopper, positions={"tone": 2})  # shopper: tone Below (0)
    view = three_sixty(Review.objects.filter(reviewee=cast.agent))
    assert [s for s, _ in view.sources] == [Source.QA, Source.MYSTERY_SHOP]
    tone = dict(view.rows)[Criterion.latest_names()["tone"]]  # one row per behaviour key
    assert tone[Source.QA].value == 100 and tone[Source.MYSTERY_SHOP].value == 0
    # Side by side: each source's review score, the shop on its own form (4 Meets, tone 0).
    assert view.overall[Source.QA].value == 100
    assert view.overall[Source.MYSTERY_SHOP].value == pytest.approx(4 * 80 / 5)


def test_only_the_assigned_shopper_records_once_and_every_field_is_checked(cast, scenario, shopper):
    assignment = assign(scenario=scenario, shopper=shopper, due=timezone.localdate(), by=cast.qa)
    other = make_user("shopper2", Role.SHOPPER)
    with pytest.raises(ShopError) as refused:
        record_shop(assignment=assignment, by=other, happened_at=None, agent=cast.other_agent,
                    notes=" ", ratings={})  # fmt: skip
    assert set(refused.value.errors) == {"shopper", "happened_at", "agent", "notes"}
    with pytest.raises(ShopError) as incomplete:
        record_shop(assignment=assignment, by=shopper, happened_at=timezone.now(),
                    agent=cast.agent, notes="ok", ratings={})  # fmt: skip
    assert incomplete.value.errors  # every behaviour must be rated
    assert not Conversation.objects.filter(source=SHOP_SOURCE).exists()  # nothing half-written
    record_shop(assignment=assignment, by=shopper, happened_at=timezone.now(), agent=cast.agent,
                notes="ok", ratings=ratings(scenario))  # fmt: skip
    with pytest.raises(ShopError, match="done"):
        record_shop(assignment=Assignment.objects.get(), by=shopper, happened_at=timezone.now(),
                    agent=cast.agent, notes="again", ratings=ratings(scenario))  # fmt: skip


def test_the_dashboard_figures_match_their_formulas(cast, scenario, shopper):
    shop(cast, scenario, shopper)  # 80: passes
    shop(cast, scenario, shopper, agent=cast.teammate, positions={"resolution": 2})
    shop(cast, scenario, shopper, positions={"tone": 0})
    scores = [r.final_score for r in Review.objects.filter(source=Source.MYSTERY_SHOP)]
    [result] = results(Assignment.objects.all())
    assert result.overall.shops == 3
    expected = mean_interval(scores)
    assert result.overall.score.value == pytest.approx(expected.value)
    assert result.overall.score.low == pytest.approx(max(0.0, expected.low))
    passed = sum(1 for s in scores if s >= 80)
    assert result.overall.passed.value == pytest.approx(wilson(passed, 3).value * 100)
    behaviours = dict(result.behaviours)
    assert behaviours["Correct answer"].value == pytest.approx((80 + 0 + 80) / 3)
    assert [t.label for t in result.teams] == ["Team A"]


def test_shoppers_see_only_their_shops_and_the_quality_team_assigns(
    cast, scenario, shopper, client
):
    assignment = assign(scenario=scenario, shopper=shopper, due=timezone.localdate(), by=cast.qa)
    other = make_user("shopper2", Role.SHOPPER)
    page = f"/mystery-shopping/{assignment.code}/"
    assert cast.client(shopper).get(page).status_code == 200
    assert cast.client(other).get(page).status_code == 404
    assert cast.client(cast.lead).get(page).status_code == 404
    assert cast.client(cast.agent).get("/mystery-shopping/").status_code == 404
    home = cast.client(shopper).get("/").content.decode()
    assert "Refund by phone" in home
    qa = cast.client(cast.qa)
    response = qa.post("/mystery-shopping/", {"scenario": scenario.code, "shopper": other.code,
                                              "due": "2000-01-01"})  # fmt: skip
    assert (
        response.status_code == 400 and "the due date is in the past" in response.content.decode()
    )
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    qa.post("/mystery-shopping/", {"scenario": scenario.code, "shopper": other.code, "due": due})
    assert Assignment.objects.filter(shopper=other).exists()
    assert cast.client(shopper).post("/mystery-shopping/", {}).status_code == 403


def test_the_shopper_records_a_shop_on_its_page(cast, scenario, shopper):
    assignment = assign(scenario=scenario, shopper=shopper, due=timezone.localdate(), by=cast.qa)
    client = cast.client(shopper)
    page = client.get(f"/mystery-shopping/{assignment.code}/").content.decode()
    assert "Greeting and identification" in page and "Agent" in page
    form = {f"rating-{code}": "1" for code in ratings(scenario)}
    when = timezone.localtime() - timedelta(hours=2)
    refused = client.post(f"/mystery-shopping/{assignment.code}/", {**form, "notes": ""})
    assert refused.status_code == 400 and "write the transcript" in refused.content.decode()
    client.post(f"/mystery-shopping/{assignment.code}/", {
        **form, "notes": "Polite, right answer.", "agent": cast.agent.code,
        "happened_at": when.strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    assert Assignment.objects.get().state == Assignment.State.DONE
    done = cast.client(cast.manager).get(f"/mystery-shopping/{assignment.code}/")
    assert "Polite, right answer." in done.content.decode() and "80" in done.content.decode()
    assert "Refund by phone" in cast.client(cast.manager).get("/mystery-shopping/").content.decode()
    assert actions.targets(scenario).filter(pk=cast.other_agent.pk).count() == 0
