"""Surveys SupportQA sends and customers answer (issue #15 §1): triggers, delivery, the public
answer page and its refusals (tampered, expired, replayed links; the rate limit), bad scores'
alerts and follow-ups, and the answers reaching the response rate and the workflow."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from supportqa.accounts.throttle import over_limit
from supportqa.audit.models import AuditEvent
from supportqa.conversations.models import Category, Channel, Conversation, Customer
from supportqa.notifications.mail import send_queued
from supportqa.notifications.models import Kind, Mail, Notification
from supportqa.reports import metrics
from supportqa.reports.periods import Period
from supportqa.reviews.models import Review
from supportqa.surveys import actions
from supportqa.surveys.actions import SurveyError, link_for, send_due
from supportqa.surveys.models import FollowUp, SurveyResponse, SurveySent, Template
from supportqa.workflow.engine import start
from tests.conftest import T0, make_conversation, make_user
from tests.test_workflow import at, walk_to


def resolve(conversation: Conversation, *, hours_ago: float, email: str = "",
            name: str = "Maria Lopez", customer_id: str = "") -> Conversation:  # fmt: skip
    customer = Customer.objects.create(
        source="test", external_id=customer_id or f"cust-{conversation.external_id}",
        name=name, email=email,
    )  # fmt: skip
    conversation.customer = customer
    conversation.resolved_at = timezone.now() - timedelta(hours=hours_ago)
    conversation.save()
    return conversation


@pytest.fixture
def template(db) -> Template:
    return Template.objects.create(name="After chat", csat_scale=5, ask_nps=True, delay_hours=2)


def path_of(survey: SurveySent) -> str:
    return link_for(survey).removeprefix("http://127.0.0.1:8000")


# --- triggers and delivery ----------------------------------------------------------------------


def test_a_resolved_conversation_is_surveyed_after_the_delay_once(cast, template):
    due = resolve(cast.conversation, hours_ago=3, email="maria@example.test")
    early = resolve(cast.teammate_conversation, hours_ago=1, email="jo@example.test")
    sent = send_due()
    assert (sent.emailed, sent.links) == (1, 0)
    survey = SurveySent.objects.get()
    assert survey.conversation == due and survey.template == template
    assert survey.expires_at == survey.sent_at + timedelta(days=14)
    invitation = Mail.objects.get()
    assert invitation.user is None and invitation.to_address == "maria@example.test"
    assert link_for(survey) in invitation.body and invitation.body.startswith("Hello Maria,")
    assert "Lopez" not in invitation.body  # first name only
    assert send_due().total == 0  # re-running sends nothing twice
    assert not SurveySent.objects.filter(conversation=early).exists()


def test_channels_categories_age_and_quiet_days_decide_who_is_surveyed(cast, template):
    billing = Category.objects.create(name="Billing")
    template.channels = [Channel.EMAIL]
    template.save()
    template.categories.add(billing)
    chat = resolve(cast.conversation, hours_ago=3, email="a@example.test")
    email = resolve(cast.teammate_conversation, hours_ago=3, email="b@example.test")
    Conversation.objects.filter(pk=email.pk).update(channel=Channel.EMAIL, category=billing)
    old = make_conversation(cast.agent, cast.team, "c-old")
    resolve(old, hours_ago=24 * 8, email="c@example.test")
    Conversation.objects.filter(pk=old.pk).update(channel=Channel.EMAIL, category=billing)
    assert send_due().total == 1
    assert set(SurveySent.objects.values_list("conversation", flat=True)) == {email.pk}
    assert not SurveySent.objects.filter(conversation__in=[chat, old]).exists()
    # The same customer again within the quiet days: not surveyed.
    again = make_conversation(cast.agent, cast.team, "c-again")
    again.customer = email.customer
    again.channel, again.category = Channel.EMAIL, billing
    again.resolved_at = timezone.now() - timedelta(hours=3)
    again.save()
    assert send_due().total == 0
    template.quiet_days = 0
    template.save()
    assert send_due().total == 1


def test_without_an_address_the_survey_is_a_link_for_the_help_desk(cast, template):
    resolve(cast.conversation, hours_ago=3)
    assert send_due().links == 1 and not Mail.objects.exists()
    survey = SurveySent.objects.get()
    assert survey.delivery == SurveySent.Delivery.LINK
    out = StringIO()
    call_command("surveys", "links", stdout=out)
    header, row = out.getvalue().splitlines()
    assert header == "conversation_source,conversation_id,customer_id,link,expires_at"
    assert row.startswith("test,c-agent,cust-c-agent,http") and link_for(survey) in row


def test_the_invitation_mail_goes_to_the_customer(cast, template, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    resolve(cast.conversation, hours_ago=3, email="maria@example.test")
    send_due()
    assert send_queued("w1") == 1
    assert mail.outbox[0].to == ["maria@example.test"]
    assert "Subject c-agent" in mail.outbox[0].subject
    assert Mail.objects.get().status == Mail.Status.SENT


def test_languages_greet_and_ask_in_the_templates_language(cast, template, client):
    template.language = "de"
    template.save()
    resolve(cast.conversation, hours_ago=3, email="maria@example.test")
    send_due()
    assert Mail.objects.get().body.startswith("Hallo Maria,")
    page = client.get(path_of(SurveySent.objects.get()))
    assert '<html lang="de">' in page.content.decode()
    assert "Wie zufrieden sind Sie" in page.content.decode()


# --- the public page ----------------------------------------------------------------------------


def sent_survey(cast, template) -> SurveySent:
    resolve(cast.conversation, hours_ago=3, email="maria@example.test")
    send_due()
    return SurveySent.objects.get()


def test_the_page_names_the_request_and_asks_no_login(cast, template, client):
    survey = sent_survey(cast, template)
    page = client.get(path_of(survey))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Hello Maria," in text and "Subject c-agent" in text and "Agent helped you" in text
    assert "maria@example.test" not in text and "Lopez" not in text
    assert "<script" not in text  # works without JavaScript
    assert SurveySent.objects.get().opened_at is not None


def test_a_low_score_asks_what_went_wrong_and_a_second_visit_shows_the_answer(
    cast, template, client
):
    survey = sent_survey(cast, template)
    url = path_of(survey)
    posted = client.post(url, {"step": "scores", "csat": "2", "nps": "4"})
    assert posted.status_code == 302
    response = SurveyResponse.objects.get()
    assert (response.csat, response.nps, response.survey) == (2, 4, survey)
    assert response.agent == cast.agent and response.source == "supportqa"
    page = client.get(url).content.decode()
    assert "What went wrong?" in page
    client.post(url, {"step": "more", "follow_up": "Nobody answered", "comment": "Slow"})
    response.refresh_from_db()
    assert (response.follow_up_answer, response.comment) == ("Nobody answered", "Slow")
    again = client.get(url).content.decode()
    assert "already answered" in again and "Nobody answered" in again and "<form" not in again


def test_a_high_score_asks_what_went_well(cast, template, client):
    url = path_of(sent_survey(cast, template))
    client.post(url, {"step": "scores", "csat": "5", "nps": "10"})
    assert "What went well?" in client.get(url).content.decode()
    assert not FollowUp.objects.exists()


def test_missing_and_out_of_scale_answers_are_refused_naming_the_question(cast, template, client):
    url = path_of(sent_survey(cast, template))
    page = client.post(url, {"step": "scores", "csat": "9", "nps": ""})
    assert page.status_code == 400
    assert "Please choose an answer from 1 to 5." in page.content.decode()
    assert "Please choose an answer from 0 to 10." in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_tampered_link_is_refused(cast, template, client):
    url = path_of(sent_survey(cast, template))
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    page = client.get(tampered)
    assert page.status_code == 404 and "This link is not valid" in page.content.decode()
    assert client.post(tampered, {"step": "scores", "csat": "1", "nps": "0"}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_an_expired_link_is_refused(cast, template, client):
    survey = sent_survey(cast, template)
    SurveySent.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(1))
    page = client.post(path_of(survey), {"step": "scores", "csat": "1", "nps": "0"})
    assert page.status_code == 410 and "This link has expired" in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_replayed_answer_is_refused_and_the_first_one_stays(cast, template, client):
    url = path_of(sent_survey(cast, template))
    client.post(url, {"step": "scores", "csat": "5", "nps": "9"})
    replay = client.post(url, {"step": "scores", "csat": "1", "nps": "0"})
    assert replay.status_code == 409 and "already answered" in replay.content.decode()
    assert SurveyResponse.objects.get().csat == 5
    client.post(url, {"step": "more", "follow_up": "first"})
    second = client.post(url, {"step": "more", "follow_up": "second"})
    assert second.status_code == 409
    assert SurveyResponse.objects.get().follow_up_answer == "first"
    with pytest.raises(SurveyError):
        actions.record_answer(survey=SurveySent.objects.get(), csat=1, nps=0, ces=None)


def test_the_page_is_rate_limited_per_address(cast, template, client, settings):
    settings.SUPPORTQA_SURVEY_RATE_PER_MINUTE = 3
    url = path_of(sent_survey(cast, template))
    statuses = [client.get(url).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Too many requests" in client.get(url).content.decode()
    other = client.get(url, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200  # another address has its own count


def test_rate_windows_count_each_request_and_reset(db, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("supportqa.accounts.throttle.time.time", lambda: clock[0])
    assert [over_limit("k", 2) for _ in range(3)] == [False, False, True]
    assert over_limit("other", 2) is False
    clock[0] += 60
    assert over_limit("k", 2) is False


# --- bad scores, follow-ups, and where answers go -----------------------------------------------


def test_a_bad_score_alerts_the_lead_at_once_and_opens_a_follow_up(cast, template, client):
    url = path_of(sent_survey(cast, template))
    client.post(url, {"step": "scores", "csat": "1", "nps": "8"})
    follow_up = FollowUp.objects.get()
    assert follow_up.reasons == "CSAT 1 of 5" and follow_up.team == cast.team
    assert follow_up.due_at == follow_up.created_at + timedelta(hours=24)
    told = Notification.objects.filter(kind=Kind.SURVEY_BAD_SCORE)
    assert list(told.values_list("user__username", flat=True)) == ["lead"]
    assert Mail.objects.filter(user=cast.lead).exists()  # at once, by default
    lead = cast.client(cast.lead)
    page = lead.get(f"/surveys/follow-ups/{follow_up.code}/")
    assert page.status_code == 200 and "CSAT" in page.content.decode()
    refused = lead.post(f"/surveys/follow-ups/{follow_up.code}/", {"outcome": "resolved"})
    assert (
        refused.status_code == 400 and "say what the customer was told" in refused.content.decode()
    )
    lead.post(f"/surveys/follow-ups/{follow_up.code}/",
              {"outcome": "resolved", "note": "Called her; refund sent."})  # fmt: skip
    follow_up.refresh_from_db()
    assert follow_up.outcome == "resolved" and follow_up.closed_by == cast.lead
    assert AuditEvent.objects.filter(action="survey.follow_up").exists()
    with pytest.raises(SurveyError, match="recorded this follow-up already"):
        actions.close_follow_up(follow_up=follow_up, by=cast.manager, outcome="unresolved",
                                note="again")  # fmt: skip


def test_follow_ups_keep_to_the_leads_teams(cast, template, client):
    url = path_of(sent_survey(cast, template))
    client.post(url, {"step": "scores", "csat": "1", "nps": "0"})
    code = FollowUp.objects.get().code
    other_lead = make_user("lead.b", "lead", cast.other_team, lead=True)
    assert cast.client(other_lead).get(f"/surveys/follow-ups/{code}/").status_code == 404
    assert cast.client(cast.agent).get(f"/surveys/follow-ups/{code}/").status_code == 404
    qa = cast.client(cast.qa)
    assert qa.get(f"/surveys/follow-ups/{code}/").status_code == 200
    assert qa.post(f"/surveys/follow-ups/{code}/", {"outcome": "not_needed"}).status_code == 403


def test_answers_move_the_response_rate(cast, template, client):
    url = path_of(sent_survey(cast, template))
    # Surveys about the conversations created in the period (metrics.dashboard).
    period = Period(T0 - timedelta(days=1), timezone.now() + timedelta(hours=1))
    before = metrics.panel(Q(team=cast.team), Review.objects.none(), period)
    assert before.response_rate.n == 1 and before.response_rate.value == 0
    client.post(url, {"step": "scores", "csat": "4", "nps": "9"})
    after = metrics.panel(Q(team=cast.team), Review.objects.none(), period)
    assert after.response_rate.value == 100 and after.csat.n == 1


def test_an_answer_completes_the_requests_customer_feedback_step(cast, template, client):
    request = start(cast.conversation, by=cast.qa)
    walk_to(request, "customer-feedback", cast)
    resolve(cast.conversation, hours_ago=3, email="maria@example.test")
    survey = actions.send_survey(conversation=cast.conversation, template=template, by=cast.qa)
    client.post(path_of(survey), {"step": "scores", "csat": "4", "nps": "9"})
    request.refresh_from_db()
    record = request.records.get(step__key="customer-feedback")
    assert record.data == {"csat": 4, "nps": 9, "comment": ""}
    assert at(request) != "customer-feedback"


# --- the quality team's side --------------------------------------------------------------------


def test_a_lead_sends_a_survey_from_the_conversation_page_and_only_admins_see_links(cast, template):
    resolve(cast.conversation, hours_ago=1)  # before the delay: sent by hand
    lead = cast.client(cast.lead)
    page = lead.get(f"/conversations/{cast.conversation.code}/").content.decode()
    assert "Send a survey now" in page
    lead.post(f"/conversations/{cast.conversation.code}/survey/", {"template": template.code})
    survey = SurveySent.objects.get()
    assert survey.delivery == SurveySent.Delivery.LINK
    assert AuditEvent.objects.filter(action="survey.sent", actor=cast.lead).exists()
    assert (
        link_for(survey)
        not in lead.get(f"/conversations/{cast.conversation.code}/").content.decode()
    )
    admin_page = cast.client(cast.admin).get(f"/conversations/{cast.conversation.code}/")
    assert link_for(survey) in admin_page.content.decode()
    again = lead.post(f"/conversations/{cast.conversation.code}/survey/",
                      {"template": template.code}, follow=True)  # fmt: skip
    assert "surveyed already" in again.content.decode()
    assert SurveySent.objects.count() == 1
    # Out of scope: a lead of another team, an agent.
    assert (
        cast.client(cast.agent)
        .post(
            f"/conversations/{cast.teammate_conversation.code}/survey/", {"template": template.code}
        )
        .status_code
        == 404
    )


def test_an_unresolved_conversation_is_not_surveyed(cast, template):
    with pytest.raises(SurveyError, match="not resolved"):
        actions.send_survey(conversation=cast.conversation, template=template, by=cast.qa)


def test_the_overview_shows_rates_follow_ups_and_answers_in_scope(cast, template, client):
    url = path_of(sent_survey(cast, template))
    client.post(url, {"step": "scores", "csat": "1", "nps": "3"})
    page = cast.client(cast.lead).get("/surveys/").content.decode()
    assert "After chat" in page and "CSAT 1 of 5" in page and "100.0%" in page
    other_lead = make_user("lead.b", "lead", cast.other_team, lead=True)
    other = cast.client(other_lead).get("/surveys/").content.decode()
    assert "CSAT 1 of 5" not in other and "No survey sent in this period." in other
    assert cast.client(cast.agent).get("/surveys/").status_code == 404


def test_hostile_answers_and_addresses_are_refused_not_crashed_on(cast, template, client):
    resolve(cast.conversation, hours_ago=3, email="not an address")
    send_due()
    survey = SurveySent.objects.get()
    assert survey.delivery == SurveySent.Delivery.LINK and not Mail.objects.exists()
    for hostile in ("²", "9" * 5000, "-1", "1.0"):
        page = client.post(path_of(survey), {"step": "scores", "csat": hostile, "nps": "3"})
        assert page.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_the_comment_reaches_the_request_and_follow_ups_move_with_the_conversation(
    cast, template, client
):
    request = start(cast.conversation, by=cast.qa)
    walk_to(request, "customer-feedback", cast)
    resolve(cast.conversation, hours_ago=3)
    url = path_of(actions.send_survey(conversation=cast.conversation, template=template,
                                      by=cast.qa))  # fmt: skip
    client.post(url, {"step": "scores", "csat": "1", "nps": "2"})
    client.post(url, {"step": "more", "follow_up": "No answer", "comment": "Too slow"})
    record = request.records.get(step__key="customer-feedback")
    assert record.data == {"csat": 1, "nps": 2, "comment": "Too slow"}
    Conversation.objects.filter(pk=cast.conversation.pk).update(team=cast.other_team)
    actions.sync_owners(conversation_ids=[cast.conversation.pk])
    assert FollowUp.objects.get().team == cast.other_team
