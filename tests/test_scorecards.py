from __future__ import annotations

import json

import pytest
from django.urls import reverse

from supportqa.reviews.models import Review
from supportqa.scorecards.building import SpecError, spec_of, validate_spec
from supportqa.scorecards.models import Scorecard
from tests.conftest import submitted_review


def edit_url():
    """The JSON import (the builder's tests are in test_scorecard_builder.py)."""
    return reverse("scorecard-json", args=["chat-quality"])


def test_editing_publishes_a_new_version_and_old_reviews_keep_theirs(cast):
    review = submitted_review(cast.conversation, cast.qa)
    scorecard = Scorecard.objects.get(slug="chat-quality")
    form = cast.client(cast.admin).get(edit_url())
    assert form.status_code == 200
    spec = json.loads(form.context["text"])  # the current version, ready to edit
    assert spec == spec_of(scorecard.current_version())
    spec["sections"][0]["criteria"][0]["name"] = "Speed of reply"
    spec["sections"][0]["criteria"].pop()  # drop Compliance
    response = cast.client(cast.admin).post(edit_url(), {"spec": json.dumps(spec)})
    assert response.status_code == 302
    assert scorecard.versions.count() == 3  # the shipped versions 1 and 2, and this one
    v3 = scorecard.current_version()
    assert v3.number == 3
    assert [c.name for c in v3.sections.get().criteria.all()][0] == "Speed of reply"
    old = Review.objects.get(pk=review.pk)
    assert old.scorecard_version.number == 2
    assert old.ratings.count() == 8 and old.final_score == 100
    page = cast.client(cast.qa).get(
        reverse("conversation-detail", args=[cast.teammate_conversation.code])
    )
    assert page.context["version"] == v3


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda s: (
                s["sections"][0]["criteria"][0]["options"].pop()
                and s["sections"][0]["criteria"][0]["options"].pop()
            ),
            "at least two rating options",
        ),
        (lambda s: s["sections"][0]["criteria"][1].update(key="response-time"), "used twice"),
        (
            lambda s: s["sections"][0]["criteria"][0]["options"][0].update(value="high"),
            "sections[0].criteria[0].options[0].value: must be a number",
        ),
        (lambda s: s.update(sections=[]), "at least one section"),
        (lambda s: s["sections"][0]["criteria"][0].update(critical="yes"), "true or false"),
    ],
)
def test_bad_specs_are_refused_with_the_path(cast, mutate, message):
    spec = spec_of(Scorecard.objects.get(slug="chat-quality").current_version())
    mutate(spec)
    response = cast.client(cast.admin).post(edit_url(), {"spec": json.dumps(spec)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Scorecard.objects.get(slug="chat-quality").versions.count() == 2  # none added


def test_invalid_json_names_line_and_column(cast):
    response = cast.client(cast.admin).post(edit_url(), {"spec": '{"sections": [}'})
    assert response.status_code == 400
    assert "line 1, column" in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "qa", "lead", "agent"])
def test_only_admins_edit_scorecards(cast, role):
    client = cast.client(getattr(cast, role))
    assert client.get(reverse("scorecard-list")).status_code == 404
    assert client.post(edit_url(), {"spec": "{}"}).status_code == 404


def test_validate_spec_rejects_non_objects():
    with pytest.raises(SpecError):
        validate_spec([])


def test_the_versions_page_says_what_each_version_changed(cast):
    """The shipped version 2 of the chat rubric changed Meets from 50 to 80 on every
    criterion; an edit that renames one criterion and drops another says exactly that."""
    page = cast.client(cast.admin).get(reverse("scorecard-versions", args=["chat-quality"]))
    assert page.status_code == 200
    (v2, changes2), (v1, changes1) = page.context["history"]
    assert (v2.number, v1.number, changes1) == (2, 1, None)
    assert len(changes2) == 8
    assert "“Response Time” option “Meets Expectations” value 50 → 80" in changes2
    spec = spec_of(Scorecard.objects.get(slug="chat-quality").current_version())
    spec["sections"][0]["criteria"][0]["name"] = "Speed of reply"
    spec["sections"][0]["criteria"].pop()
    spec["pass_threshold"] = 75
    cast.client(cast.admin).post(edit_url(), {"spec": json.dumps(spec)})
    page = cast.client(cast.admin).get(reverse("scorecard-versions", args=["chat-quality"]))
    assert page.context["history"][0][1] == [
        "pass mark 80% → 75%",
        "criterion “Compliance with Procedures” removed",
        "criterion “Response Time” renamed “Speed of reply”",
    ]
    assert "Speed of reply" in page.content.decode()


def test_a_versions_parts_are_read_once_per_process_in_order(cast, django_assert_num_queries):
    """A published version never changes: its criteria, options and root causes are read in
    four queries by the first request that needs them and shared by the process after."""
    from supportqa.scorecards import models
    from tests.conftest import chat_rubric

    version = chat_rubric()
    models._PARTS.clear()
    first, second = (models.ScorecardVersion.objects.get(pk=version.pk) for _ in range(2))
    with django_assert_num_queries(4):
        parts = first.parts
        assert all(len(c.options.all()) and c.section.version_id for c in parts.criteria)
        [c.root_causes.all() for c in parts.criteria]
    with django_assert_num_queries(0):
        assert second.parts is parts and second.layout == (parts.weights, parts.placed)
    expected = models.Criterion.objects.filter(section__version=version).order_by(
        "section__position", "section_id", "position", "id"
    )
    assert [c.pk for c in parts.criteria] == [c.pk for c in expected]
    assert [p.criterion for p in parts.placed] == list(parts.criteria)
    assert set(parts.weights) == {str(s.pk) for s in version.sections.all()}
