from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from supportqa.assignments.actions import run_cycle
from supportqa.assignments.models import AssignmentCycle, AssignmentItem, CycleReviewer
from supportqa.audit.models import AuditEvent
from supportqa.reviews.models import Review
from supportqa.surveys.models import SurveyResponse
from tests.conftest import make_conversation, submitted_review


def recent(cast, count, agent=None):
    now = timezone.now()
    return [
        make_conversation(
            agent or (cast.agent if i % 2 else cast.teammate),
            cast.team,
            f"r{i}",
            created=now - timedelta(hours=i + 1),
        )
        for i in range(count)
    ]


def cycle(cast, quotas, **fields):
    c = AssignmentCycle.objects.create(
        name="Weekly", team=cast.team, created_by=cast.lead, next_run_at=timezone.now(), **fields
    )
    for user, quota in quotas:
        CycleReviewer.objects.create(cycle=c, reviewer=user, quota=quota)
    return c


def test_random_cycle_records_inclusion_probability_and_respects_quotas(cast):
    recent(cast, 20)
    c = cycle(cast, [(cast.qa, 3), (cast.lead, 2)], sample_size=5)
    created = run_cycle(cycle=c, now=timezone.now())
    items = AssignmentItem.objects.all()
    assert items.count() == 5
    # candidates: the 20 new ones plus the fixture's 2 Team A conversations of 30 days ago are
    # outside the 7-day period, so N = 20
    assert {i.inclusion_probability for i in items} == {5 / 20}
    assert sorted(a.items.count() for a in created) == [2, 3]
    assert AssignmentCycle.objects.get().next_run_at > timezone.now() + timedelta(days=6)


def test_nobody_is_assigned_their_own_conversations(cast):
    recent(cast, 10, agent=cast.peer)
    c = cycle(cast, [(cast.peer, 10), (cast.qa, 10)], sample_size=10)
    run_cycle(cycle=c, now=timezone.now())
    assert not AssignmentItem.objects.filter(assignment__reviewer=cast.peer).exists()
    assert AssignmentItem.objects.filter(assignment__reviewer=cast.qa).count() == 10


def test_targeted_cycle_always_picks_spotlight_conversations(cast):
    conversations = recent(cast, 30)
    unhappy = conversations[3]
    SurveyResponse.objects.create(
        source="t", external_id="s1", conversation=unhappy, csat=1, answered_at=timezone.now()
    )
    c = cycle(cast, [(cast.qa, 50)], design="targeted", targets=["low_csat"], sample_size=4)
    run_cycle(cycle=c, now=timezone.now())
    item = AssignmentItem.objects.get(conversation=unhappy)
    assert (item.inclusion_probability, item.reason) == (1.0, "low_csat")
    others = AssignmentItem.objects.exclude(conversation=unhappy)
    assert others.count() == 4 and {i.inclusion_probability for i in others} == {4 / 29}


def test_submitting_a_queued_review_closes_the_item_and_keeps_its_probability(cast):
    recent(cast, 8)
    c = cycle(cast, [(cast.qa, 2)], sample_size=2)
    run_cycle(cycle=c, now=timezone.now())
    item = AssignmentItem.objects.first()
    review = submitted_review(item.conversation, cast.qa)
    item.refresh_from_db()
    assert item.review == review
    assert Review.objects.get(pk=review.pk).inclusion_probability == pytest.approx(2 / 8)
    queue = cast.client(cast.qa).get(reverse("queue"))
    assert queue.context["done"] == 1 and len(queue.context["items"]) == 1


def test_already_reviewed_or_queued_conversations_are_not_sampled_again(cast):
    recent(cast, 4)
    c = cycle(cast, [(cast.qa, 10)], sample_size=10)
    run_cycle(cycle=c, now=timezone.now())
    assert run_cycle(cycle=c, now=timezone.now()) == []  # everything is already queued


def test_command_runs_due_cycles_once(cast):
    recent(cast, 6)
    cycle(cast, [(cast.qa, 3)], sample_size=3)
    out = StringIO()
    call_command("assignments", "run", stdout=out)
    call_command("assignments", "run", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 assignment batches created",
        "0 assignment batches created",
    ]


def test_cycle_form_creates_a_cycle_and_rejects_bad_input(cast):
    client = cast.client(cast.lead)
    bad = client.post(
        reverse("cycle-new"),
        {
            "name": "x",
            "design": "random",
            "sample_size": 5,
            "every_days": 7,
            "team": cast.team.code,
        },
    )
    assert bad.status_code == 400
    assert "give at least one reviewer a quota" in bad.content.decode()
    good = client.post(
        reverse("cycle-new"),
        {
            "name": "Team A weekly",
            "design": "targeted",
            "targets": ["reopened"],
            "sample_size": 5,
            "every_days": 7,
            "team": cast.team.code,
            f"quota-{cast.qa.code}": 4,
        },
    )
    assert good.status_code == 302
    created = AssignmentCycle.objects.get()
    assert created.cyclereviewer_set.get().quota == 4
    event = AuditEvent.objects.get(action="assignments.cycle_created")
    assert (event.actor, event.object_code) == (cast.lead, created.code)
    other_team = client.post(
        reverse("cycle-new"),
        {
            "name": "x",
            "design": "random",
            "sample_size": 5,
            "every_days": 7,
            "team": cast.other_team.code,
            f"quota-{cast.qa.code}": 4,
        },
    )
    assert other_team.status_code == 400  # not a team this lead leads


@pytest.mark.parametrize(
    ("role", "status"),
    [("agent", 404), ("outsider", 404), ("qa", 200), ("peer", 200), ("lead", 200)],
)
def test_queue_scope(cast, role, status):
    assert cast.client(getattr(cast, role)).get(reverse("queue")).status_code == status


def test_cycles_outside_scope_cannot_be_run(cast):
    c = cycle(cast, [(cast.qa, 3)])
    c.team = cast.other_team
    c.save()
    assert cast.client(cast.lead).post(reverse("cycle-run", args=[c.code])).status_code == 404
    assert cast.client(cast.manager).post(reverse("cycle-run", args=[c.code])).status_code == 302
    assert cast.client(cast.manager).get(reverse("cycle-run", args=[c.code])).status_code == 405


def test_spotlight_on_negative_endings_and_escalations(cast):
    from supportqa.conversations.models import Message

    conversations = recent(cast, 12)
    angry, escalated = conversations[2], conversations[5]
    Message.objects.filter(conversation=angry, seq=2).update(
        text="This is useless and I am furious, nothing works."
    )
    escalated.tags = ["escalated"]
    escalated.save()
    c = cycle(
        cast,
        [(cast.qa, 50)],
        design="targeted",
        targets=["negative_sentiment", "escalated"],
        sample_size=1,
    )
    run_cycle(cycle=c, now=timezone.now())
    reasons = dict(
        AssignmentItem.objects.filter(inclusion_probability=1.0).values_list(
            "conversation_id", "reason"
        )
    )
    assert reasons == {angry.pk: "negative_sentiment", escalated.pk: "escalated"}


def test_eligible_reviewers_are_those_who_can_open_every_conversation_of_the_team(cast):
    """The queryset rule agrees with `conversations_for`, reviewer by reviewer."""
    from supportqa.accounts.models import User
    from supportqa.accounts.permissions import holders, may_review
    from supportqa.assignments.actions import eligible_reviewers
    from supportqa.conversations.access import conversations_for
    from supportqa.conversations.models import Conversation

    for team in (cast.team, cast.other_team, None):
        scope = Conversation.objects.filter(team=team) if team else Conversation.objects.all()
        expected = {
            u.username
            for u in holders(may_review)
            if not scope.exclude(pk__in=conversations_for(u)).exists()
        }
        assert {u.username for u in eligible_reviewers(team)} == expected
    assert {u.username for u in eligible_reviewers(cast.team)} == {
        "admin",
        "manager",
        "qa",
        "lead",
        "peer",
    }
    assert "peer" not in {u.username for u in eligible_reviewers(cast.other_team)}
    assert User.objects.filter(username="lead").exists()


def test_a_cycle_refuses_quotas_for_reviewers_who_cannot_open_its_conversations(cast):
    form = {
        "name": "Team B weekly",
        "design": "random",
        "sample_size": 5,
        "every_days": 7,
        "team": cast.other_team.code,
        f"quota-{cast.peer.code}": 3,
        f"quota-{cast.lead.code}": 3,
    }
    response = cast.client(cast.manager).post(reverse("cycle-new"), form)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Peer cannot open the conversations of Team B" in body
    assert "Lead cannot open the conversations of Team B" in body
    assert not AssignmentCycle.objects.exists()
    page = cast.client(cast.manager).get(reverse("cycle-new")).content.decode()
    assert "Can review: Team A only." in page


def test_a_run_never_assigns_what_the_reviewer_cannot_open_and_the_queue_hides_it(cast):
    from supportqa.assignments.models import Assignment

    recent(cast, 6)
    c = cycle(cast, [(cast.peer, 10), (cast.qa, 10)], sample_size=6)
    c.team = cast.other_team  # the peer is on Team A
    c.save()
    now = timezone.now()
    other = [
        make_conversation(
            cast.other_agent, cast.other_team, f"b{i}", created=now - timedelta(hours=i + 1)
        )
        for i in range(4)
    ]
    run_cycle(cycle=c, now=timezone.now() + timedelta(minutes=1))
    assert not AssignmentItem.objects.filter(assignment__reviewer=cast.peer).exists()
    assert AssignmentItem.objects.filter(assignment__reviewer=cast.qa).count() == len(other)
    # An item left from before (say, the peer changed teams) is not listed to them.
    batch = Assignment.objects.create(reviewer=cast.peer, due_at=timezone.now())
    AssignmentItem.objects.create(
        assignment=batch, conversation=other[0], method="random", inclusion_probability=1
    )
    page = cast.client(cast.peer).get(reverse("queue"))
    assert list(page.context["items"]) == []
    assert other[0].subject not in page.content.decode()


def test_a_lead_is_offered_their_teams_and_the_reviewers_who_can_open_them(cast):
    page = cast.client(cast.lead).get(reverse("cycle-new"))
    form = page.context["form"]
    assert [label for _, label in form.fields["team"].choices] == ["Team A"]  # no "Every team"
    offered = {r.username for r in form.reviewers}
    assert offered == {"admin", "manager", "qa", "lead", "peer"}
