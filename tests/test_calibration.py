from __future__ import annotations

import pytest
from django.urls import reverse

from supportqa.calibration.models import CalibrationSession
from supportqa.calibration.results import alignment_of
from supportqa.notifications.models import Kind, Notification
from supportqa.reviews.models import Review, Source
from supportqa.scorecards.models import Criterion
from tests.conftest import chat_rubric, make_conversation


@pytest.fixture
def session(cast):
    conversations = [make_conversation(cast.agent, cast.team, f"cal{i}") for i in range(3)]
    response = cast.client(cast.lead).post(
        reverse("calibration-new"),
        {
            "title": "October calibration",
            "scorecard": "chat-quality",
            "conversations": [c.code for c in conversations],
            "participants": [cast.qa.code, cast.manager.code],
            "baseline": cast.manager.code,
        },
    )
    assert response.status_code == 302
    return CalibrationSession.objects.get()


def rate(cast, user, session, conversation, levels: dict[str, int]):
    criteria = Criterion.objects.filter(section__version=chat_rubric())
    data = {f"rating-{c.code}": str(levels.get(c.key, 0)) for c in criteria}
    data.update(action="submit", scorecard="chat-quality")
    url = reverse("calibration-review", args=[session.code, conversation.code])
    return cast.client(user).post(url, data)


def test_organiser_opens_a_session_and_participants_are_notified(cast, session):
    assert session.organiser == cast.lead
    assert set(session.participants.all()) == {cast.qa, cast.manager}
    invitation = Notification.objects.get(user=cast.qa, link__contains=session.code)
    assert invitation.kind == Kind.CALIBRATION_INVITED and invitation.actor == cast.lead
    assert not Notification.objects.filter(user=cast.lead).exists()  # never the organiser
    page = cast.client(cast.qa).get(reverse("inbox"))
    assert "invited you to calibrate" in page.content.decode()


def test_session_form_rejects_bad_input(cast):
    response = cast.client(cast.lead).post(
        reverse("calibration-new"),
        {
            "title": "x",
            "scorecard": "chat-quality",
            "participants": [cast.qa.code],
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "conversations" in errors and "participants" in errors


@pytest.mark.parametrize("role", ["agent", "peer", "outsider"])
def test_only_organiser_roles_open_sessions(cast, role):
    assert cast.client(getattr(cast, role)).get(reverse("calibration-new")).status_code == 404


def test_reviews_are_blind_until_the_organiser_reveals(cast, session):
    first = session.conversations.order_by("pk").first()
    assert rate(cast, cast.qa, session, first, {}).status_code == 302
    detail = cast.client(cast.manager).get(reverse("calibration-detail", args=[session.code]))
    assert "results" not in detail.context
    # non-participants and people outside the session get 404
    url = reverse("calibration-review", args=[session.code, first.code])
    assert cast.client(cast.lead).get(url).status_code == 404  # organiser, not participant
    assert (
        cast.client(cast.agent).get(reverse("calibration-detail", args=[session.code])).status_code
        == 404
    )
    assert (
        cast.client(cast.qa).post(reverse("calibration-reveal", args=[session.code])).status_code
        == 404
    )
    assert (
        cast.client(cast.lead).get(reverse("calibration-reveal", args=[session.code])).status_code
        == 405
    )


def test_reveal_shows_agreement_and_flags_ambiguous_criteria(cast, session):
    conversations = list(session.conversations.order_by("pk"))
    # Both agree on everything except Personalization, where they always differ.
    for i, conversation in enumerate(conversations):
        rate(cast, cast.qa, session, conversation, {"personalization": i % 3, "tone": i % 3})
        rate(
            cast,
            cast.manager,
            session,
            conversation,
            {"personalization": (i + 1) % 3, "tone": i % 3},
        )
    response = cast.client(cast.lead).post(reverse("calibration-reveal", args=[session.code]))
    assert response.status_code == 302
    results = (
        cast.client(cast.qa)
        .get(reverse("calibration-detail", args=[session.code]))
        .context["results"]
    )
    by_key = {r.criterion.key: r for r in results.criteria}
    assert by_key["tone"].alpha == pytest.approx(1.0)
    assert by_key["personalization"].ambiguous
    assert not by_key["tone"].ambiguous
    assert results.alignment[cast.qa.pk] == pytest.approx(21 / 24)  # 7 of 8 criteria agree
    assert_alignment_alone_is_the_same(session, results)
    assert Notification.objects.filter(
        user=cast.qa, text__startswith="Calibration results"
    ).exists()


def test_calibration_reviews_never_count_toward_agent_scores(cast, session):
    conversation = session.conversations.first()
    rate(cast, cast.qa, session, conversation, {})
    assert Review.objects.get().source == Source.CALIBRATION
    panel = (
        cast.client(cast.lead).get(reverse("agent-detail", args=[cast.agent.code])).context["panel"]
    )
    assert panel.iqs.n == 0


def test_agreed_final_baseline_entered_by_the_organiser_after_the_reveal(cast):
    conversations = [make_conversation(cast.agent, cast.team, f"ag{i}") for i in range(2)]
    form = {
        "title": "Agreed",
        "scorecard": "chat-quality",
        "conversations": [c.code for c in conversations],
        "participants": [cast.qa.code, cast.manager.code],
        "agreed_final": "on",
    }
    clash = dict(form, participants=[cast.qa.code, cast.lead.code])
    assert cast.client(cast.lead).post(reverse("calibration-new"), clash).status_code == 400
    assert cast.client(cast.lead).post(reverse("calibration-new"), form).status_code == 302
    session = CalibrationSession.objects.get()
    assert session.baseline == cast.lead
    url = reverse("calibration-review", args=[session.code, conversations[0].code])
    assert cast.client(cast.lead).get(url).status_code == 404  # not before the reveal
    for conversation in conversations:
        rate(cast, cast.qa, session, conversation, {})  # all Exceeds
        rate(cast, cast.manager, session, conversation, {"tone": 1})
    cast.client(cast.lead).post(reverse("calibration-reveal", args=[session.code]))
    for conversation in conversations:  # the group agrees tone "Meets"
        assert rate(cast, cast.lead, session, conversation, {"tone": 1}).status_code == 302
    results = (
        cast.client(cast.lead)
        .get(reverse("calibration-detail", args=[session.code]))
        .context["results"]
    )
    assert {r.username for r in results.reviewers} == {"qa", "manager"}  # not the agreed final
    tone = Criterion.objects.get(section__version=chat_rubric(), key="tone")
    assert results.heatmap[cast.qa.pk][tone.pk] == pytest.approx(20)  # Exceeds vs agreed Meets
    assert results.heatmap[cast.manager.pk][tone.pk] == pytest.approx(0)
    assert results.alignment[cast.manager.pk] == 1.0
    assert_alignment_alone_is_the_same(session, results)


def assert_alignment_alone_is_the_same(session, results):
    """What a home page shows, computed alone, is the results' figure for every participant
    (and nothing for the baseline or without one)."""
    participants = list(session.participants.values_list("pk", flat=True))
    assert participants and any(results.alignment.get(p) is not None for p in participants)
    for participant in participants:
        assert alignment_of(session, participant) == results.alignment.get(participant)
    assert alignment_of(session, session.baseline_id) is None
