"""Every role against every page: works, wrong method, out of scope (404), bad input."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.conftest import submitted_review

ROLES = ["admin", "manager", "qa", "lead", "agent", "peer", "outsider"]


def url(name, *args):
    return reverse(name, args=args)


def test_anonymous_users_are_sent_to_login(cast):
    from django.test import Client

    for name, args in [
        ("conversation-list", ()),
        ("conversation-detail", (cast.conversation.code,)),
        ("team-list", ()),
        ("import", ()),
    ]:
        response = Client().get(url(name, *args))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def codes_in_list(client):
    response = client.get(url("conversation-list"))
    return {c.code for c in response.context["page"].object_list}


def test_list_shows_each_role_only_its_scope(cast):
    everyone = {
        cast.conversation.code,
        cast.teammate_conversation.code,
        cast.other_conversation.code,
    }
    team = {cast.conversation.code, cast.teammate_conversation.code}
    assert codes_in_list(cast.client(cast.qa)) == everyone
    assert codes_in_list(cast.client(cast.manager)) == everyone
    assert codes_in_list(cast.client(cast.lead)) == team
    assert codes_in_list(cast.client(cast.agent)) == {cast.conversation.code}
    assert codes_in_list(cast.client(cast.peer)) == team


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("qa", "other_conversation", 200),
        ("lead", "conversation", 200),
        ("lead", "other_conversation", 404),
        ("agent", "conversation", 200),
        ("agent", "teammate_conversation", 404),
        ("agent", "other_conversation", 404),
        ("peer", "teammate_conversation", 200),
        ("peer", "other_conversation", 404),
        ("outsider", "conversation", 404),
        ("manager", "other_conversation", 200),
    ],
)
def test_conversation_detail_scope(cast, role, target, status):
    code = getattr(cast, target).code
    assert (
        cast.client(getattr(cast, role)).get(url("conversation-detail", code)).status_code == status
    )


def test_unknown_conversation_code_is_404(cast):
    assert cast.client(cast.qa).get(url("conversation-detail", "nope")).status_code == 404


def test_conversation_detail_rejects_wrong_method(cast):
    response = cast.client(cast.qa).delete(url("conversation-detail", cast.conversation.code))
    assert response.status_code == 405


def test_conversation_list_rejects_post(cast):
    assert cast.client(cast.qa).post(url("conversation-list")).status_code == 405


def test_bad_filters_answer_400_with_the_reason(cast):
    response = cast.client(cast.qa).get(
        url("conversation-list"), {"since": "soon", "score_min": "200"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid date" in body
    assert "less than or equal to 100" in body


def test_filters_narrow_the_list(cast):
    submitted_review(cast.conversation, cast.qa)
    client = cast.client(cast.qa)
    reviewed = client.get(url("conversation-list"), {"reviewed": "yes"}).context["page"]
    assert [c.code for c in reviewed] == [cast.conversation.code]
    by_agent = client.get(url("conversation-list"), {"agent": cast.other_agent.code}).context[
        "page"
    ]
    assert [c.code for c in by_agent] == [cast.other_conversation.code]
    by_score = client.get(url("conversation-list"), {"score_max": "50"}).context["page"]
    assert list(by_score) == []


def test_filter_choices_come_from_scope(cast):
    response = cast.client(cast.lead).get(
        url("conversation-list"), {"agent": cast.other_agent.code}
    )
    assert response.status_code == 400  # not a valid choice for this lead


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("agent", "agent", 200),
        ("agent", "teammate", 404),
        ("lead", "teammate", 200),
        ("lead", "other_agent", 404),
        ("qa", "other_agent", 200),
        ("outsider", "agent", 404),
        ("peer", "agent", 404),
        ("manager", "other_agent", 200),
    ],
)
def test_agent_page_scope(cast, role, target, status):
    code = getattr(cast, target).code
    assert cast.client(getattr(cast, role)).get(url("agent-detail", code)).status_code == status


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("lead", "team", 200),
        ("lead", "other_team", 404),
        ("agent", "team", 404),
        ("qa", "other_team", 200),
        ("outsider", "team", 404),
        ("manager", "team", 200),
    ],
)
def test_team_page_scope(cast, role, target, status):
    code = getattr(cast, target).code
    assert cast.client(getattr(cast, role)).get(url("team-detail", code)).status_code == status


def test_team_and_agent_pages_reject_post(cast):
    client = cast.client(cast.qa)
    assert client.post(url("team-detail", cast.team.code)).status_code == 405
    assert client.post(url("agent-detail", cast.agent.code)).status_code == 405


def test_unknown_period_falls_back_to_default(cast):
    response = cast.client(cast.qa).get(url("team-detail", cast.team.code), {"days": "x"})
    assert response.status_code == 200
    assert response.context["days"] == "90"


def test_team_list_scope(cast):
    def names(role):
        teams = cast.client(getattr(cast, role)).get(url("team-list")).context["teams"]
        return {t.name for t in teams}

    assert names("lead") == {"Team A"}
    assert names("qa") == {"Team A", "Team B"}


def test_review_detail_scope(cast):
    review = submitted_review(cast.conversation, cast.qa)
    assert cast.client(cast.agent).get(url("review-detail", review.code)).status_code == 200
    assert cast.client(cast.teammate).get(url("review-detail", review.code)).status_code == 404
    assert cast.client(cast.lead).get(url("review-detail", review.code)).status_code == 200
    assert cast.client(cast.outsider).get(url("review-detail", review.code)).status_code == 404
    assert cast.client(cast.qa).post(url("review-detail", review.code)).status_code == 405


def test_drafts_are_visible_only_to_their_author(cast):
    from supportqa.reviews.actions import save_review
    from supportqa.reviews.models import Source
    from tests.conftest import chat_rubric

    draft = save_review(
        conversation=cast.conversation,
        reviewer=cast.qa,
        source=Source.QA,
        version=chat_rubric(),
        ratings={},
    )
    assert cast.client(cast.qa).get(url("review-detail", draft.code)).status_code == 200
    assert cast.client(cast.agent).get(url("review-detail", draft.code)).status_code == 404
    assert cast.client(cast.manager).get(url("review-detail", draft.code)).status_code == 404


@pytest.mark.parametrize("role", ["manager", "qa", "lead", "agent", "outsider"])
def test_import_pages_are_admin_only(cast, role):
    assert cast.client(getattr(cast, role)).get(url("import")).status_code == 404


def test_admin_imports_from_the_web_and_sees_row_errors(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = {
        "external_id": "w1",
        "agent": "agent",
        "messages": [{"author_kind": "customer", "sent_at": "2026-10-01T09:00:00Z", "text": "hi"}],
    }
    data = json.dumps(good).encode() + b'\n{"broken\n'
    client = cast.client(cast.admin)
    response = client.post(
        url("import"), {"kind": "native", "file": SimpleUploadedFile("a.jsonl", data)}
    )
    assert response.status_code == 302
    queued = client.get(response["Location"])
    assert "Waiting for the worker" in queued.content.decode()  # imports run in the worker
    from supportqa.integrations.queue import run_queued_imports

    assert run_queued_imports("test-worker") == 1
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "invalid JSON" in body
    assert page.context["run"].created == 1


def test_import_form_without_file_is_400(cast):
    assert cast.client(cast.admin).post(url("import"), {"kind": "native"}).status_code == 400


def test_exports_respect_scope(cast):
    csv_body = b"".join(
        cast.client(cast.agent).get(url("export", "conversations", "csv")).streaming_content
    ).decode()
    assert "c-agent" in csv_body and "c-teammate" not in csv_body and "c-other" not in csv_body
    assert cast.client(cast.agent).get(url("export", "secrets", "csv")).status_code == 404


# serialized_rollback: the flush after it leaves the tables empty for the next test that
# restores the migrations' rows (test_api_client, test_browser), as theirs do.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_export_streams_its_rows_from_inside_one_transaction(cast, monkeypatch):
    """Read outside a transaction, Django declares PostgreSQL's server-side cursor WITH HOLD
    and PostgreSQL computes the whole result before the first row leaves (1.6 s at a million
    conversations). A piece a line and a row a fetch: after the first row the export is
    inside a transaction, reading from a cursor that is not held, and it ends with the last."""
    from django.db import connection

    from supportqa.core import csvcells
    from supportqa.integrations import exporting

    monkeypatch.setattr(csvcells, "PIECE", 1)
    monkeypatch.setattr(exporting, "CHUNK", 1)
    response = cast.client(cast.qa).get(url("export", "conversations", "csv"))
    pieces = iter(response.streaming_content)
    assert next(pieces).startswith(b"conversation_id,")
    assert next(pieces).count(b"\n") == 1
    assert connection.in_atomic_block
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django_curs%'")
            assert cursor.fetchall() == [(False,)]
    assert b"".join(pieces).count(b"\n") == 2
    assert not connection.in_atomic_block


def test_review_export_contains_one_row_per_rating(cast):
    submitted_review(cast.conversation, cast.qa)
    body = b"".join(
        cast.client(cast.lead).get(url("export", "reviews", "csv")).streaming_content
    ).decode()
    assert len(body.strip().splitlines()) == 1 + 8
    other = b"".join(
        cast.client(cast.other_agent).get(url("export", "reviews", "csv")).streaming_content
    ).decode()
    assert len(other.strip().splitlines()) == 1


def test_conversation_jsonl_export_round_trips_through_the_importer(cast):
    from supportqa.conversations.models import Conversation
    from supportqa.integrations.importer import import_conversations

    body = b"".join(
        cast.client(cast.qa).get(url("export", "conversations", "jsonl")).streaming_content
    )
    Conversation.objects.all().delete()
    report = import_conversations(body)
    assert (report.created, report.error_count) == (3, 0)
    assert Conversation.objects.get(external_id="c-agent").messages.count() == 4


def test_login_page_and_csrf(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.get("/login/").status_code == 200
    assert client.post("/login/", {"username": "qa", "password": "x"}).status_code == 403


def test_only_admins_reach_the_administration_site(cast):
    from supportqa.accounts.models import Role, User

    admin = User.objects.get(pk=cast.admin.pk)
    assert admin.is_staff and admin.is_superuser and admin.role == Role.ADMIN
    assert cast.client(admin).get("/admin/accounts/user/").status_code == 200
    assert cast.client(cast.manager).get("/admin/").status_code == 404  # not an admin login


def test_list_count_is_capped_for_huge_results(cast, monkeypatch):
    from supportqa.reviews import views

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    response = cast.client(cast.qa).get(url("conversation-list"))
    assert response.context["page"].paginator.capped
    assert "More than 2 conversations" in response.content.decode()
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    response = cast.client(cast.qa).get(url("conversation-list"))
    assert not response.context["page"].paginator.capped
    assert "3 conversations" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("qa", 200),
        ("lead", 200),
        ("manager", 200),
        ("admin", 200),
        ("agent", 404),
        ("peer", 404),
        ("outsider", 404),
    ],
)
def test_reviewer_page_scope(cast, role, status):
    assert cast.client(getattr(cast, role)).get(url("reviewer-list")).status_code == status


def test_reviewer_page_shows_offsets_from_double_reviews(cast):
    from tests.conftest import make_conversation

    strict = make_user_with_role("strict.qa")
    for i in range(5):
        conversation = make_conversation(cast.agent, cast.team, f"d{i}")
        submitted_review(conversation, cast.qa, 0)  # Exceeds everywhere: 100
        submitted_review(conversation, strict, 1)  # Meets everywhere: 80
    response = cast.client(cast.manager).get(url("reviewer-list"))
    offsets = {r["user"].username: r["offset"] for r in response.context["reviewers"]}
    assert offsets["qa"].value == pytest.approx(10)
    assert offsets["strict.qa"].value == pytest.approx(-10)
    assert cast.client(cast.manager).post(url("reviewer-list")).status_code == 405
    agents = cast.client(cast.manager).get(url("agent-list")).context["standings"]
    mine = next(s for s in agents if s.agent.username == "agent")
    assert mine.iqs.value == pytest.approx(90)
    assert mine.adjusted.value == pytest.approx(90)  # each conversation seen by both


def make_user_with_role(username):
    from supportqa.accounts.models import Role
    from tests.conftest import make_user

    return make_user(username, Role.QA)


def test_a_peer_sees_colleagues_conversations_but_not_their_scores(cast):
    """The list's score column and score filters read only reviews the person may open."""
    review = submitted_review(cast.teammate_conversation, cast.qa, position=0)  # 100%
    peer = cast.client(cast.peer)
    assert peer.get(url("review-detail", review.code)).status_code == 404
    rows = {c.code: c.score for c in peer.get(url("conversation-list")).context["page"]}
    assert rows[cast.teammate_conversation.code] is None
    for query in ({"score_min": "90"}, {"reviewed": "yes"}):
        found = peer.get(url("conversation-list"), query).context["page"]
        assert cast.teammate_conversation.code not in {c.code for c in found}
    lead_rows = {
        c.code: c.score
        for c in cast.client(cast.lead).get(url("conversation-list")).context["page"]
    }
    assert lead_rows[cast.teammate_conversation.code] == 100  # the lead may see it


def test_a_peer_does_not_see_a_colleagues_autoqa_review(cast):
    from supportqa.autoqa.actions import Context, score_conversation

    with_agent = cast.teammate_conversation
    scored = score_conversation(with_agent, Context.load())
    assert scored is not None
    autoqa_url = url("review-detail", scored.review.code)
    assert cast.client(cast.peer).get(autoqa_url).status_code == 404
    page = cast.client(cast.peer).get(url("conversation-detail", with_agent.code))
    assert page.status_code == 200 and page.context["autoqa"] is None
    assert "AutoQA" not in page.content.decode().split("<main", 1)[1].split("Transcript")[0]
    own = cast.client(cast.teammate).get(url("conversation-detail", with_agent.code))
    assert own.context["autoqa"] is not None  # the agent sees their own


def test_a_peer_is_not_told_a_reviewed_colleague_conversation_is_unreviewed(cast):
    submitted_review(cast.teammate_conversation, cast.qa, position=0)
    body = cast.client(cast.peer).get(url("conversation-list")).content.decode()
    row = body.split(cast.teammate_conversation.code)[1].split("</tr>")[0]
    assert "not reviewed" not in row and "not shown to you" in row


def test_not_found_pages_keep_the_menu(cast):
    response = cast.client(cast.agent).get(url("review-detail", "nope"))
    assert response.status_code == 404
    body = response.content.decode()
    assert "This page is not here" in body and 'aria-label="Main"' in body


def test_the_list_as_it_opens_shows_each_persons_own_rows_as_its_first_page_does(cast):
    """The unfiltered first page reads its rows through a statement compiled once per person
    and access: the same rows as `?page=1`, each person's own, new conversations included."""
    from tests.conftest import make_conversation

    def codes(client, query):
        page = client.get(reverse("conversation-list"), query).context["page"]
        return [c.code for c in page], page.paginator.count, page.paginator.num_pages

    people = (cast.agent, cast.teammate, cast.lead, cast.manager)
    for _ in range(2):  # compiled, then kept
        for person in people:
            client = cast.client(person)
            assert codes(client, {}) == codes(client, {"page": "1"}), person.username
    client = cast.client(cast.agent)
    assert codes(client, {}) == ([cast.conversation.code], 1, 1)
    new = make_conversation(cast.agent, cast.team, "opened-list")
    assert codes(client, {}) == ([new.code, cast.conversation.code], 2, 1)
    assert new.code not in codes(cast.client(cast.teammate), {})[0]
    assert cast.other_conversation.code not in codes(cast.client(cast.lead), {})[0]
