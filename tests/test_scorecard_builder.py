"""The scorecard builder: the form a browser posts, the edits its buttons make, the live
preview, conditions, and what is published (a new version only when the rubric changed)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportqa.audit.models import AuditEvent
from supportqa.scorecards import builder
from supportqa.scorecards.building import spec_of
from supportqa.scorecards.models import Scorecard
from supportqa.scorecards.picking import pick_version
from tests.conftest import make_conversation


class FormReader(HTMLParser):
    """The fields a browser would send for the builder form (text inputs, ticked boxes,
    textareas, selected options), in document order; submit buttons are left out."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if "disabled" in a:
            return
        if tag == "input" and name and a.get("type", "text") not in ("submit", "file"):
            if a.get("type") != "checkbox":
                self.fields.append((name, a.get("value", "")))
            elif "checked" in a:
                self.fields.append((name, a.get("value") or "on"))
        elif tag == "textarea":
            self._textarea = name
            self.fields.append((name, ""))
        elif tag == "select":
            self._select, self._first_option, self._chosen = name, None, False
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._chosen = True

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
            name, text = self.fields[-1]
            self.fields[-1] = (name, text.removeprefix("\n"))
        elif tag == "select" and self._select:
            if not self._chosen and self._first_option is not None:
                self.fields.append((self._select, self._first_option))
            self._select = None


def form_of(response) -> dict[str, object]:
    reader = FormReader()
    reader.feed(response.content.decode())
    data: dict[str, object] = {}
    for name, value in reader.fields:
        if name in data:  # several ticked boxes of one field
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    for many in ("channels", "categories", "teams"):
        if many in data and not isinstance(data[many], list):
            data[many] = [data[many]]
    return data


def edit_url(slug: str = "chat-quality") -> str:
    return reverse("scorecard-edit", args=[slug])


def test_the_page_shows_the_current_version_and_saving_it_unchanged_adds_no_version(cast):
    scorecard = Scorecard.objects.get(slug="chat-quality")
    client = cast.client(cast.admin)
    page = client.get(edit_url())
    assert page.status_code == 200
    data = form_of(page)
    assert data["s-0-c-0-name"] == "Response Time"
    assert data["s-0-c-0-o-1-value"] == "80"  # Meets on version 2
    assert (
        builder.finished(builder.draft_from_form(_querydict(data)))["sections"]
        == (spec_of(scorecard.current_version())["sections"])
    )
    response = client.post(edit_url(), {**data, "op": "publish"})
    assert response.status_code == 302
    assert scorecard.versions.count() == 2  # the shipped versions, nothing added
    assert not AuditEvent.objects.filter(action__startswith="scorecard.").exists()


def _querydict(data: dict[str, object]):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for name, value in data.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return query


def test_an_edit_publishes_the_next_version_with_its_changes(cast):
    client = cast.client(cast.admin)
    data = form_of(client.get(edit_url()))
    data["s-0-c-0-name"] = "Speed of reply"
    data["s-0-c-0-weight"] = "2"
    data["pass_threshold"] = "75"
    response = client.post(edit_url(), {**data, "op": "publish"})
    assert response.status_code == 302
    assert response["Location"] == reverse("scorecard-versions", args=["chat-quality"])
    scorecard = Scorecard.objects.get(slug="chat-quality")
    v3 = scorecard.current_version()
    assert (v3.number, v3.pass_threshold, v3.created_by) == (3, 75.0, cast.admin)
    first = v3.sections.get().criteria.first()
    assert (first.key, first.name, first.weight) == ("response-time", "Speed of reply", 2.0)
    history = client.get(reverse("scorecard-versions", args=["chat-quality"])).context["history"]
    assert history[0][1] == [
        "pass mark 80% → 75%",
        "criterion “Response Time” renamed “Speed of reply”",
        "“Speed of reply” weight 1 → 2",
    ]
    assert AuditEvent.objects.filter(action="scorecard.version_published").count() == 1


def test_buttons_add_move_and_remove_parts_without_publishing(cast):
    client = cast.client(cast.admin)
    data = form_of(client.get(edit_url()))
    names = [data[f"s-0-c-{i}-name"] for i in range(8)]
    page = client.post(edit_url(), {**data, "op": "add-section"})
    assert page.status_code == 200 and page.context["focus"] == "s-1"
    data = form_of(page)
    assert data["s-1-name"] == "Section 2" and data["s-1-c-0-name"] == "Criterion 9"
    # Moving the first section's last criterion down takes it into the next section.
    data = form_of(client.post(edit_url(), {**data, "op": "down-criterion:0:7"}))
    assert data["s-1-c-0-name"] == names[7] and data["s-1-c-1-name"] == "Criterion 9"
    assert "s-0-c-7-name" not in data
    data = form_of(client.post(edit_url(), {**data, "op": "up-criterion:0:1"}))
    assert [data["s-0-c-0-name"], data["s-0-c-1-name"]] == [names[1], names[0]]
    page = client.post(edit_url(), {**data, "op": "add-option:0:0"})
    assert page.context["focus"] == "s-0-c-0-o-3-label"  # the new option's first field
    data = form_of(page)
    assert data["s-0-c-0-o-3-value"] == "" and data["s-0-c-0-o-3-label"] == ""
    data = form_of(client.post(edit_url(), {**data, "op": "remove-option:0:0:3"}))
    assert "s-0-c-0-o-3-value" not in data
    data = form_of(client.post(edit_url(), {**data, "op": "remove-criterion:1:1"}))
    assert "s-1-c-1-name" not in data
    assert Scorecard.objects.get(slug="chat-quality").versions.count() == 2
    response = client.post(edit_url(), {**data, "op": "publish"})
    assert response.status_code == 302
    sections = Scorecard.objects.get(slug="chat-quality").current_version().sections.all()
    assert [[c.name for c in s.criteria.all()] for s in sections] == [
        [names[1], names[0], *names[2:7]],
        [names[7]],
    ]


def test_a_stale_button_changes_nothing_and_says_so(cast):
    client = cast.client(cast.admin)
    data = form_of(client.get(edit_url()))
    for op in ("remove-criterion:0:99", "up-section:0", "down-criterion:0:7", "jump-section:0"):
        page = client.post(edit_url(), {**data, "op": op})
        assert page.status_code == 400, op
        assert page.context["error"]
        assert form_of(page)["s-0-c-7-name"] == data["s-0-c-7-name"]  # what was typed stays


def test_a_mistake_is_named_at_its_field_and_nothing_typed_is_lost(cast):
    client = cast.client(cast.admin)
    data = form_of(client.get(edit_url()))
    data["s-0-c-2-o-1-value"] = "eighty"
    data["s-0-c-0-name"] = "Kept as typed"
    page = client.post(edit_url(), {**data, "op": "publish"})
    assert page.status_code == 400
    assert page.context["error"] == (  # the place in words, the reason beside the field
        "Tone and Professionalism, option 2 (Meets Expectations), value: "
        "must be a number from 0 to 100"
    )
    assert page.context["error_field"] == "s-0-c-2-o-1-value"
    assert '<small class="error" id="s-0-c-2-o-1-value-error">must be' in page.content.decode()
    marked = 'class="value" value="eighty" aria-invalid="true"'
    assert f'name="s-0-c-2-o-1-value" inputmode="decimal" {marked}' in page.content.decode()
    assert form_of(page)["s-0-c-0-name"] == "Kept as typed"
    assert Scorecard.objects.get(slug="chat-quality").versions.count() == 2


def test_the_preview_scores_the_sample_ratings_with_the_product_formula(cast):
    """Version 2 of the chat rubric: Meets (80) on every criterion passes the 80% mark;
    Below on the critical criterion sets the score to 0 whatever the rest (PRODUCT.md §5)."""
    client = cast.client(cast.admin)
    data = form_of(client.get(edit_url()))
    critical = next(i for i in range(8) if data.get(f"s-0-c-{i}-critical") == "on")
    below = next(o for o in range(3) if data[f"s-0-c-{critical}-o-{o}-value"] == "0")
    data[f"s-0-c-{critical}-sample"] = str(below)
    response = client.post(edit_url() + "?partial=preview", {**data, "op": "preview"})
    assert response.status_code == 200
    assert "<form" not in response.content.decode()  # the fragment only
    sample, top, one_below, bottom = response.context["previews"]
    assert sample.score.critical_failed and sample.score.final == 0 and not sample.passes
    assert sample.score.raw == pytest.approx(7 / 8 * 100)
    assert (top.score.final, top.passes) == (100.0, True)
    assert (one_below.score.final, one_below.passes) == (80.0, True)
    assert bottom.score.final == 0.0 and bottom.score.critical_failed
    data["pass_threshold"] = "85"
    again = client.post(edit_url() + "?partial=preview", {**data, "op": "preview"})
    assert not again.context["previews"][2].passes
    data["s-0-c-0-o-0-value"] = "-3"
    broken = client.post(edit_url() + "?partial=preview", {**data, "op": "preview"})
    assert broken.context["previews"] == []
    assert "must be a number from 0 to 100" in broken.content.decode()


def test_a_new_scorecard_with_conditions_is_picked_only_where_they_fit(cast):
    client = cast.client(cast.admin)
    data = form_of(client.get(reverse("scorecard-new")))
    data.update(
        name="Team A chats", slug="team-a-chats", priority="50", is_active="on",
        channels=["chat"], teams=[str(cast.team.pk)],
    )  # fmt: skip
    data["s-0-c-0-name"] = "Tone of voice"
    data["s-0-c-0-key"] = ""
    response = client.post(reverse("scorecard-new"), {**data, "op": "publish"})
    assert response.status_code == 302, response.context and response.context["error"]
    scorecard = Scorecard.objects.get(slug="team-a-chats")
    version = scorecard.current_version()
    assert version.number == 1
    assert version.sections.get().criteria.get().key == "tone-of-voice"  # from the name
    assert scorecard.channels == ["chat"] and list(scorecard.teams.all()) == [cast.team]
    created = AuditEvent.objects.get(action="scorecard.created")
    assert created.data["teams"] == ["Team A"] and created.data["priority"] == 50
    assert pick_version(cast.conversation) == version  # Team A, chat
    assert pick_version(cast.other_conversation).scorecard.slug == "chat-quality"  # Team B
    email = make_conversation(cast.agent, cast.team, "c-email")
    email.channel = "email"
    assert pick_version(email).scorecard.slug != "team-a-chats"
    # A change of conditions alone is audited and publishes nothing.
    data = form_of(client.get(edit_url("team-a-chats")))
    data["teams"] = []
    response = client.post(edit_url("team-a-chats"), {**data, "op": "publish"})
    assert response.status_code == 302, (response.context["error"], response.context["form"].errors)
    assert scorecard.versions.count() == 1
    changed = AuditEvent.objects.get(action="scorecard.changed")
    assert changed.data == {"changed": ["teams"], "teams": []}
    assert pick_version(cast.other_conversation) == version


def test_a_taken_slug_is_refused_and_the_draft_kept(cast):
    client = cast.client(cast.admin)
    before = Scorecard.objects.count()
    data = form_of(client.get(reverse("scorecard-new")))
    data.update(name="Copy", slug="chat-quality")
    data["s-0-c-0-name"] = "Mine"
    page = client.post(reverse("scorecard-new"), {**data, "op": "publish"})
    assert page.status_code == 400
    assert page.context["form"].errors["slug"]
    assert form_of(page)["s-0-c-0-name"] == "Mine"
    assert Scorecard.objects.count() == before


@pytest.mark.parametrize(
    ("error", "field"),
    [
        ("sections[1].criteria[0].key: 'a' is used twice", "s-1-c-0-key"),
        ("sections[0].criteria: a section needs at least one criterion", "s-0"),
        ("sections[0].criteria[3].options: a criterion needs at least two", "s-0-c-3"),
        ("sections: a scorecard needs at least one section", ""),
        ("pass_threshold: must be a number from 0 to 100", "pass_threshold"),
    ],
)
def test_errors_point_at_their_field(error, field):
    assert builder.field_of(error) == field


def test_json_stays_as_import_and_export(cast):
    client = cast.client(cast.admin)
    download = client.get(reverse("scorecard-json", args=["chat-quality"]) + "?download=1")
    assert download["Content-Disposition"] == 'attachment; filename="chat-quality-v2.json"'
    assert (
        download.json()["sections"]
        == spec_of(Scorecard.objects.get(slug="chat-quality").current_version())["sections"]
    )


def test_a_rubric_that_could_never_score_is_refused(cast):
    client = cast.client(cast.admin)
    data = form_of(client.get(edit_url()))
    for name in [n for n in data if n.endswith("-weight")]:
        data[name] = "0"
    page = client.post(edit_url(), {**data, "op": "publish"})
    assert page.status_code == 400
    assert page.context["error"].startswith("every weight is 0, so no review could be scored")
    assert Scorecard.objects.get(slug="chat-quality").versions.count() == 2


def test_a_new_scorecard_opens_ready_to_preview_and_takes_its_slug_from_its_name(cast):
    client = cast.client(cast.admin)
    page = client.get(reverse("scorecard-new"))
    assert page.context["preview_problem"] == "" and len(page.context["previews"]) == 4
    data = form_of(page)
    data.update(name="Phone calls", slug="")
    assert client.post(reverse("scorecard-new"), {**data, "op": "publish"}).status_code == 302
    version = Scorecard.objects.get(slug="phone-calls").current_version()
    assert [o.label for o in version.sections.get().criteria.get().options.all()] == [
        "Exceeds",
        "Meets",
        "Below",
    ]


def test_json_of_another_scorecard_is_not_imported_without_saying_so(cast):
    client = cast.client(cast.admin)
    url = reverse("scorecard-json", args=["response-check"])
    other = spec_of(Scorecard.objects.get(slug="chat-quality").current_version())
    before = Scorecard.objects.get(slug="response-check").versions.count()
    page = client.post(url, {"spec": json.dumps(other)})
    assert page.status_code == 400
    assert "this file holds the scorecard “chat-quality”" in page.context["error"]
    assert Scorecard.objects.get(slug="response-check").versions.count() == before
    done = client.post(url, {"spec": json.dumps(other), "other_slug": "chat-quality"})
    assert done.status_code == 302
    assert Scorecard.objects.get(slug="response-check").versions.count() == before + 1


def test_importing_the_current_rubric_again_adds_no_version(cast):
    client = cast.client(cast.admin)
    url = reverse("scorecard-json", args=["chat-quality"])
    file = client.get(url + "?download=1").content
    upload = SimpleUploadedFile("chat-quality-v2.json", file, content_type="application/json")
    assert client.post(url, {"file": upload}).status_code == 302
    assert Scorecard.objects.get(slug="chat-quality").versions.count() == 2
