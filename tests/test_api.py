"""The REST API (`/api/v1/`): tokens, scope, the bulk upsert, reviews, KPIs, and a fuzz of the
whole schema with schemathesis."""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from supportqa.api import tokens
from supportqa.api.models import ApiToken
from supportqa.audit.actions import verify_chain
from supportqa.audit.models import AuditEvent
from supportqa.conversations.models import Conversation
from supportqa.reviews.models import Review
from tests.conftest import chat_rubric, submitted_review

ALL = list(tokens.SCOPES)


def bearer(user, scopes=ALL, days=30) -> dict[str, str]:
    made = tokens.make(user=user, name="test", scopes=scopes, days=days)
    return {"HTTP_AUTHORIZATION": f"Bearer {made.secret}"}


def get(path: str, auth: dict[str, str], **params):
    return Client().get(path, params, **auth)


def post(path: str, auth: dict[str, str], body):
    return Client().post(path, json.dumps(body), content_type="application/json", **auth)


def native(external_id: str, **more):
    return {
        "external_id": external_id,
        "channel": "email",
        "agent": "agent",
        "team": "Team A",
        "customer": {"external_id": "cust-9", "name": "Dana Q", "email": "dana@example.test"},
        "messages": [
            {"author_kind": "customer", "sent_at": "2026-11-02T09:00:00Z", "text": "My order?"},
            {"author_kind": "agent", "author": "agent", "sent_at": "2026-11-02T09:05:00Z",
             "text": "It ships today."},
        ],
        **more,
    }  # fmt: skip


def test_a_token_is_stored_hashed_shown_once_and_checked(cast):
    made = tokens.make(user=cast.qa, name="Sync", scopes=["reviews:read"], days=7)
    stored = ApiToken.objects.get(pk=made.token.pk)
    assert made.secret not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert stored.digest == tokens.digest(made.secret)
    assert tokens.check(made.secret).user == cast.qa
    tampered = made.secret[:-1] + ("A" if made.secret[-1] != "A" else "B")
    with pytest.raises(tokens.TokenRefused, match="unknown"):
        tokens.check(tampered)
    with pytest.raises(tokens.TokenRefused, match="unknown scopes"):
        tokens.make(user=cast.qa, name="x", scopes=["reviews:delete"], days=7)
    with pytest.raises(tokens.TokenRefused, match="1 to 366"):
        tokens.make(user=cast.qa, name="x", scopes=["reviews:read"], days=400)


def test_no_token_an_expired_or_a_revoked_one_is_401(cast):
    assert get("/api/v1/reviews/", {}).status_code == 401
    assert get("/api/v1/reviews/", {"HTTP_AUTHORIZATION": "Bearer nope"}).status_code == 401
    made = tokens.make(user=cast.qa, name="x", scopes=ALL, days=7)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {made.secret}"}
    assert get("/api/v1/reviews/", auth).status_code == 200
    ApiToken.objects.filter(pk=made.token.pk).update(expires_at=timezone.now())
    response = get("/api/v1/reviews/", auth)
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    ApiToken.objects.filter(pk=made.token.pk).update(
        expires_at=timezone.now() + timezone.timedelta(days=1)
    )
    assert tokens.revoke(made.token, cast.qa)
    assert get("/api/v1/reviews/", auth).json()["detail"] == "this token was revoked"
    cast.qa.is_active = False
    cast.qa.save()
    other = bearer(cast.qa)
    assert get("/api/v1/reviews/", other).status_code == 401


def test_a_token_reads_only_what_its_scopes_allow(cast):
    auth = bearer(cast.admin, scopes=["reviews:read"])
    assert get("/api/v1/reviews/", auth).status_code == 200
    response = get("/api/v1/conversations/", auth)
    assert response.status_code == 403
    assert response.json()["detail"] == "this token may not read conversations"
    response = post("/api/v1/reviews/", auth, {"conversation": "x", "ratings": []})
    assert response.status_code == 403


def test_the_api_keeps_to_the_pages_scope(cast):
    """An agent's token sees its own conversations only; another's is 404, as on the pages;
    an agent has no team reports, so a team's KPIs do not exist for them."""
    auth = bearer(cast.agent)
    listed = get("/api/v1/conversations/", auth).json()["results"]
    assert [c["code"] for c in listed] == [cast.conversation.code]
    assert get(f"/api/v1/conversations/{cast.other_conversation.code}/", auth).status_code == 404
    assert get(f"/api/v1/teams/{cast.team.code}/kpis/", auth).status_code == 404
    assert get(f"/api/v1/agents/{cast.teammate.code}/kpis/", auth).status_code == 404
    assert get(f"/api/v1/agents/{cast.agent.code}/kpis/", auth).status_code == 200
    lead = bearer(cast.lead)
    codes = {c["code"] for c in get("/api/v1/conversations/", lead).json()["results"]}
    assert codes == {cast.conversation.code, cast.teammate_conversation.code}
    assert get(f"/api/v1/teams/{cast.other_team.code}/kpis/", lead).status_code == 404
    # the shopper has no conversations at all
    assert get("/api/v1/conversations/", bearer(cast.outsider)).status_code == 404


def test_conversation_filters_are_the_pages_and_bad_ones_name_the_field(cast):
    auth = bearer(cast.manager)
    one = get("/api/v1/conversations/", auth, agent=cast.agent.code).json()["results"]
    assert [c["code"] for c in one] == [cast.conversation.code]
    response = get("/api/v1/conversations/", auth, since="2026-13-01")
    assert response.status_code == 400 and "since" in response.json()
    detail = get(f"/api/v1/conversations/{cast.conversation.code}/", auth).json()
    assert [m["seq"] for m in detail["messages"]] == [0, 1, 2, 3]
    assert detail["agent"] == cast.agent.code


def test_cursor_pagination_walks_every_conversation_once(cast):
    auth = bearer(cast.manager)
    seen, url = [], "/api/v1/conversations/?page_size=2"
    while url:
        page = Client().get(url, **auth).json()
        seen += [c["code"] for c in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Conversation.objects.values_list("code", flat=True))
    assert len(seen) == 3


def test_bulk_upsert_writes_good_items_reports_bad_ones_and_is_idempotent(cast):
    auth = bearer(cast.admin)
    body = {
        "source": "helpdesk",
        "conversations": [
            native("T-1"),
            native("T-2", channel="carrier pigeon"),
            {"external_id": "T-3", "messages": []},
            native("T-4", subject="Refund"),
        ],
    }
    result = post("/api/v1/conversations/", auth, body).json()
    assert (result["created"], result["updated"], result["unchanged"]) == (2, 0, 0)
    assert [(e["item"], e["field"]) for e in result["errors"]] == [(2, "channel"), (3, "messages")]
    assert Conversation.objects.get(source="helpdesk", external_id="T-4").subject == "Refund"
    again = post("/api/v1/conversations/", auth, body).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    body["conversations"][3]["subject"] = "Refund, urgent"
    changed = post("/api/v1/conversations/", auth, body).json()
    assert changed["updated"] == 1
    # only admins import, as on the import page
    assert post("/api/v1/conversations/", bearer(cast.manager), body).status_code == 404
    assert post("/api/v1/conversations/", auth, {"conversations": "no"}).status_code == 400


def test_a_reviewer_token_submits_a_review_attributed_to_the_token(cast):
    made = tokens.make(user=cast.qa, name="Robot", scopes=["reviews:write", "reviews:read"],
                       days=7)  # fmt: skip
    auth = {"HTTP_AUTHORIZATION": f"Bearer {made.secret}"}
    version = chat_rubric()
    criteria = [c for s in version.sections.all() for c in s.criteria.all()]
    ratings = [{"criterion": c.key, "option": c.options.all()[0].label} for c in criteria]
    body = {"conversation": cast.conversation.code, "ratings": ratings[:-1]}
    response = post("/api/v1/reviews/", auth, body)
    assert response.status_code == 400 and criteria[-1].key in response.json()
    response = post("/api/v1/reviews/", auth, {**body, "ratings": ratings})
    assert response.status_code == 201, response.json()
    review = Review.objects.get(code=response.json()["code"])
    assert review.reviewer == cast.qa and review.final_score == response.json()["final_score"]
    event = AuditEvent.objects.get(action="review.submitted", object_code=review.code)
    assert event.data["via"] == f"api-token:{made.token.prefix}"
    uses = AuditEvent.objects.filter(action="api.request", object_code=made.token.code)
    assert [(e.data["method"], e.data["status"]) for e in uses] == [("POST", 400), ("POST", 201)]
    assert verify_chain() is None
    assert ApiToken.objects.get(pk=made.token.pk).uses == 2
    # a second submission of the same review is refused, naming why
    again = post("/api/v1/reviews/", auth, {**body, "ratings": ratings})
    assert again.status_code == 400 and "review" in again.json()
    # out of scope: 404; an agent's own conversation is not the QA's to review twice
    other = {"conversation": "nope", "ratings": ratings}
    assert post("/api/v1/reviews/", auth, other).status_code == 404


def test_kpis_match_the_agent_page(cast):
    from supportqa.reports import metrics
    from supportqa.reports.periods import Period

    submitted_review(cast.conversation, cast.qa, position=0)
    submitted_review(cast.teammate_conversation, cast.qa, position=1)
    body = get(f"/api/v1/agents/{cast.agent.code}/kpis/", bearer(cast.manager), days="365")
    figures = body.json()
    assert figures["subject"] == cast.agent.code
    from django.db.models import Q

    from supportqa.conversations.access import scope_of
    from supportqa.reviews.access import reviews_for

    period = Period(
        timezone.datetime.fromisoformat(figures["start"]),
        timezone.datetime.fromisoformat(figures["end"]),
    )
    panel = metrics.dashboard(
        scope_of(cast.manager) & Q(agent=cast.agent),
        reviews_for(cast.manager).filter(reviewee=cast.agent),
        period,
    ).panel
    assert figures["iqs"]["value"] == pytest.approx(panel.iqs.value)
    assert figures["iqs"]["n"] == 1 and figures["volume"] == panel.volume


def test_the_schema_and_its_docs_are_served_from_the_package(cast):
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    spec = json.loads(schema.content)
    assert spec["openapi"].startswith("3.") and "/api/v1/conversations/" in spec["paths"]
    docs = Client().get("/api/v1/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "cdn" not in page.lower() and "/static/drf_spectacular_sidecar/" in page


# — the whole schema, fuzzed —

# The served schema, read through the app in this process (WSGI): no database needed.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def admin_auth(cast):
    """An admin's all-scopes token, in a world with a submitted review (the cast's)."""
    submitted_review(cast.conversation, cast.qa)
    made = tokens.make(user=cast.admin, name="fuzz", scopes=ALL, days=1)
    # As Django's test client does: the test's connection stays open between requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {made.secret}"}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_schema_says(case, admin_auth):
    """Zero server errors; every status, content type and body as documented, and requests
    the schema forbids refused (schemathesis's default checks), with an admin's all-scopes
    token. Left out: "a schema-valid request is accepted", since a schema cannot state every
    rule (a conversation code that exists, a NUL character in a name)."""
    case.call_and_validate(headers=admin_auth, excluded_checks=[positive_data_acceptance])


def test_the_token_page_shows_a_new_token_once_and_revokes_it(cast):
    # the form offers only what the person's pages allow: an agent reads no survey
    offered = cast.client(cast.agent).get("/account/tokens/").content.decode()
    assert 'value="reviews:read"' in offered and 'value="surveys:read"' not in offered
    assert 'value="conversations:write"' not in offered
    client = cast.client(cast.qa)
    refused = client.post("/account/tokens/", {"action": "make", "name": "x", "days": "30"})
    assert refused.status_code == 400 and "choose at least one" in refused.content.decode()
    wanted = {"action": "make", "name": "Bot", "days": "30",
              "scopes": ["reviews:read", "reviews:write"]}  # fmt: skip
    made = client.post("/account/tokens/", wanted, follow=True)
    token = ApiToken.objects.get(user=cast.qa)
    secret = re.search(r'value="(sqa_[^"]+)"', made.content.decode()).group(1)
    assert tokens.digest(secret) == token.digest and token.scopes == [
        "reviews:read",
        "reviews:write",
    ]
    listing = client.get("/account/tokens/").content.decode()
    assert secret not in listing and f"{token.prefix}…" in listing
    # someone else's token cannot be revoked from here (it does not exist for them)
    other = cast.client(cast.manager).post("/account/tokens/", {"action": "revoke",
                                                                "token": token.code})  # fmt: skip
    assert other.status_code == 404
    client.post("/account/tokens/", {"action": "revoke", "token": token.code})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked", actor=cast.qa).exists()


def test_refused_token_requests_are_audited_too(cast):
    made = tokens.make(user=cast.agent, name="x", scopes=["reviews:read"], days=1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {made.secret}"}
    assert get("/api/v1/conversations/", auth).status_code == 403  # no scope
    # an agent has no team pages: the capability comes first, so 404 (no scope needed)
    assert get(f"/api/v1/teams/{cast.team.code}/kpis/", auth).status_code == 404
    uses = AuditEvent.objects.filter(action="api.request", object_code=made.token.code)
    assert [e.data["status"] for e in uses] == [403, 404]
    assert verify_chain() is None


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reviews/?until=9999-12-31",
        "/api/v1/surveys/?since=9999-12-31",
        "/api/v1/conversations/?until=9999-12-31",
        "/api/v1/conversations/?page_size=%C2%B2",
        "KPIS?days=custom&from=2026-01-01&to=9999-12-31",
    ],
)
def test_far_dates_and_odd_digits_are_a_400_not_a_500(cast, path):
    path = path.replace("KPIS", f"/api/v1/agents/{cast.agent.code}/kpis/")
    assert Client().get(path, **bearer(cast.admin)).status_code == 400
    # and the conversation list page says so too
    assert cast.client(cast.admin).get("/conversations/?until=9999-12-31").status_code == 400


def test_times_are_utc_whoever_calls(cast):
    cast.manager.time_zone = "Asia/Tokyo"
    cast.manager.save()
    listed = cast.client(cast.manager).get("/api/v1/conversations/").json()["results"]
    assert all(c["created_at"].endswith("Z") for c in listed)


def test_blind_review_hides_what_the_review_page_hides(cast):
    from supportqa.accounts.models import Organisation

    submitted_review(cast.conversation, cast.qa)
    organisation = Organisation.current()
    organisation.blind_review = True
    organisation.save()
    manager = bearer(cast.manager)
    shown = get("/api/v1/reviews/", manager, conversation=cast.conversation.code).json()
    assert shown["results"] == []  # the manager may review it and has not
    agent_view = get("/api/v1/reviews/", bearer(cast.lead)).json()["results"]
    assert agent_view == []
    submitted_review(cast.conversation, cast.manager)
    shown = get("/api/v1/reviews/", manager, conversation=cast.conversation.code).json()
    assert len(shown["results"]) == 2


def test_the_scorecard_list_asks_the_same_number_of_queries_for_more_scorecards(
    cast, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportqa.scorecards.models import Scorecard

    auth = bearer(cast.qa)
    with CaptureQueriesContext(connection) as one:
        assert get("/api/v1/scorecards/", auth).status_code == 200
    chat = Scorecard.objects.get(slug="chat-quality")
    for n in range(3):
        copy = Scorecard.objects.create(slug=f"copy-{n}", name=f"Copy {n}")
        version = chat.current_version()
        version.pk, version.scorecard, version.code = None, copy, f"v{n}copy"
        version.save()
    with CaptureQueriesContext(connection) as more:
        listed = get("/api/v1/scorecards/", auth).json()["results"]
    assert len(listed) == Scorecard.objects.filter(is_active=True).count()
    assert len(more) == len(one)


def test_requests_and_coaching_sessions_keep_to_their_pages_scope(cast):
    from supportqa.coaching.models import Session
    from supportqa.workflow.engine import start

    request = start(cast.conversation)
    start(cast.other_conversation)
    Session.objects.create(
        agent=cast.agent, coach=cast.lead, starts_at=timezone.now(),
        period_first=timezone.localdate(), period_last=timezone.localdate(),
        positives="Calm under pressure",
    )  # fmt: skip
    mine = get("/api/v1/requests/", bearer(cast.agent)).json()["results"]
    assert [r["code"] for r in mine] == [request.code] and mine[0]["current_step"]
    assert len(get("/api/v1/requests/", bearer(cast.manager)).json()["results"]) == 2
    sessions = get("/api/v1/coaching/sessions/", bearer(cast.agent)).json()["results"]
    assert [s["coach"] for s in sessions] == [cast.lead.code]
    assert "positives" not in sessions[0]  # what was said stays on the session's page
    assert get("/api/v1/coaching/sessions/", bearer(cast.teammate)).json()["results"] == []


def test_a_method_an_endpoint_lacks_is_a_405_whatever_the_token(cast):
    auth = bearer(cast.agent, scopes=["reviews:read"])
    response = Client().delete("/api/v1/reviews/", **auth)
    assert response.status_code == 405
    bad = get(f"/api/v1/agents/{cast.agent.code}/kpis/", auth | bearer(cast.agent), days="14")
    assert bad.status_code == 400 and "choose 7, 30, 90, 365 or custom" in str(bad.json())
