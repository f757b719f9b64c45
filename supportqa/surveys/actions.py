"""Surveys SupportQA sends and customers answer: sending them, recording answers, following
up bad scores. (Answers the help desk collected are imported: integrations/surveys.py.)"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from supportqa.accounts.access import leads_or_managers
from supportqa.accounts.models import Organisation, User
from supportqa.audit.actions import record_event
from supportqa.conversations.models import Conversation
from supportqa.core.csvcells import csv_line
from supportqa.core.kpis import answer_is_positive, bad_answers
from supportqa.notifications.actions import absolute, notify
from supportqa.notifications.models import Kind, Mail
from supportqa.surveys.language import day, first_name, texts
from supportqa.surveys.models import FollowUp, SurveyResponse, SurveySent, Template
from supportqa.surveys.signals import survey_answered

SOURCE = "supportqa"  # answers given on SupportQA's own survey page
LINK_SALT = "supportqa.surveys.link"
BATCH = 500


class SurveyError(Exception):
    """A survey action refused, with the reason to show."""


def sync_owners(*, conversation_ids: Sequence[int]) -> None:
    """Copy agent and team from the conversations onto their surveys (after a re-import
    reassigned them). Call inside the transaction that changed the conversations."""
    for model in (SurveySent, SurveyResponse):
        owner = Conversation.objects.filter(pk=OuterRef("conversation_id"))
        model.objects.filter(conversation_id__in=conversation_ids).update(
            agent_id=Subquery(owner.values("agent_id")[:1]),
            team_id=Subquery(owner.values("team_id")[:1]),
        )
    # A follow-up belongs to the team that now owns the conversation (they are few).
    moved = FollowUp.objects.filter(response__conversation_id__in=conversation_ids).values_list(
        "pk", "response__conversation__team_id"
    )
    for pk, team_id in moved:
        FollowUp.objects.filter(pk=pk).update(team_id=team_id)


# --- sending ------------------------------------------------------------------------------------


@dataclass
class Sent:
    """What a run of `send_due` did."""

    emailed: int = 0
    links: int = 0  # for the help desk to send (template says so, or no address)

    @property
    def total(self) -> int:
        return self.emailed + self.links


def link_for(survey: SurveySent) -> str:
    """The survey's public link: its code signed with the installation's secret key, so a
    changed character is refused; it expires with the survey (`expires_at`)."""
    token = signing.Signer(salt=LINK_SALT).sign(survey.code)
    return absolute(reverse("survey-answer", args=[token]))


def survey_from_token(token: str) -> SurveySent | None:
    """The survey a link names, or None when the link was altered or names no survey."""
    try:
        code = signing.Signer(salt=LINK_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return (
        SurveySent.objects.select_related(
            "template", "conversation__customer", "conversation__agent", "response"
        )
        .filter(code=code)
        .first()
    )


def waiting_links(sent: QuerySet[SurveySent]) -> QuerySet[SurveySent]:
    """Surveys whose links wait for the help desk to send: unanswered and unexpired."""
    return sent.filter(
        delivery=SurveySent.Delivery.LINK, response__isnull=True, expires_at__gt=timezone.now()
    )


def link_lines(waiting: QuerySet[SurveySent]) -> Iterator[str]:
    """CSV lines for the help desk: conversation source and id, customer id, link, expiry."""
    yield csv_line(["conversation_source", "conversation_id", "customer_id", "link", "expires_at"])
    rows = waiting.select_related("conversation__customer").order_by("sent_at", "pk")
    for survey in rows.iterator(chunk_size=2000):
        c = survey.conversation
        customer = c.customer.external_id if c.customer else ""
        expires = survey.expires_at.isoformat() if survey.expires_at else ""
        yield csv_line([c.source, c.external_id, customer, link_for(survey), expires])


def matching(template: Template, now: datetime) -> QuerySet[Conversation]:
    """Resolved conversations this template surveys now: resolved at least `delay_hours` and
    at most `max_age_days` ago, in its channels and categories, not surveyed yet, and whose
    customer was not surveyed in the last `quiet_days`."""
    quiet = SurveySent.objects.filter(
        sent_at__gte=now - timedelta(days=template.quiet_days),
        conversation__customer_id=OuterRef("customer_id"),
    )
    found = Conversation.objects.filter(
        resolved_at__lte=now - timedelta(hours=template.delay_hours),
        resolved_at__gte=now - timedelta(days=template.max_age_days),
        surveys_sent__isnull=True,
    ).exclude(Exists(quiet))
    if template.channels:
        found = found.filter(channel__in=template.channels)
    categories = list(template.categories.values_list("pk", flat=True))
    if categories:
        found = found.filter(category_id__in=categories)
    return found


def send_due(*, now: datetime | None = None) -> Sent:
    """Survey every resolved conversation an active template matches (the first by position);
    one survey per customer per run and per the template's quiet days. From cron through
    `supportqa surveys send`; running it again sends nothing twice."""
    now = now or timezone.now()
    sent = Sent()
    taken: set[int] = set()  # conversations an earlier template of this run surveyed
    for template in Template.objects.filter(active=True):
        conversations = (
            matching(template, now)
            .exclude(pk__in=taken)
            .select_related("customer", "agent")
            .order_by("-resolved_at")
        )
        customers: set[int] = set()
        batch = []
        for conversation in conversations.iterator(chunk_size=2000):
            if conversation.customer_id is not None:
                if conversation.customer_id in customers:
                    continue  # their latest conversation is surveyed, not every one
                customers.add(conversation.customer_id)
            batch.append(conversation)
            if len(batch) == BATCH:
                send_batch(template, batch, now, sent)
                taken.update(c.pk for c in batch)
                batch = []
        send_batch(template, batch, now, sent)
        taken.update(c.pk for c in batch)
    return sent


def send_survey(*, conversation: Conversation, template: Template, by: User) -> SurveySent:
    """Survey one resolved conversation now (a lead's or admin's choice), whatever the
    template's channels, delay and quiet days; refused when it was surveyed already."""
    if conversation.resolved_at is None:
        raise SurveyError("the conversation is not resolved: customers are surveyed after")
    if SurveySent.objects.filter(conversation=conversation).exists():
        raise SurveyError("the conversation was surveyed already: one survey per conversation")
    with transaction.atomic():
        sent = Sent()
        send_batch(template, [conversation], timezone.now(), sent)
        survey = SurveySent.objects.filter(conversation=conversation).first()
        if survey is None or not sent.total:
            raise SurveyError("the conversation was surveyed at the same moment by someone else")
        data = {"template": template.code, "delivery": survey.delivery}
        record_event(actor=by, action="survey.sent", obj=survey, data=data)
    return survey


def send_batch(
    template: Template, conversations: list[Conversation], now: datetime, sent: Sent
) -> None:
    """Record the surveys and queue their e-mails, in one transaction: a conversation another
    run surveyed meanwhile keeps that survey (the unique constraint), and gets no mail."""
    if not conversations:
        return
    organisation = Organisation.current().name
    with transaction.atomic():
        rows = {
            c.pk: SurveySent(
                conversation=c,
                agent_id=c.agent_id,
                team_id=c.team_id,
                template=template,
                sent_at=now,
                expires_at=now + timedelta(days=template.link_days),
                delivery=_delivery(template, c),
            )
            for c in conversations
        }
        SurveySent.objects.bulk_create(rows.values(), ignore_conflicts=True)
        mine = set(
            SurveySent.objects.filter(code__in=[r.code for r in rows.values()]).values_list(
                "code", flat=True
            )
        )
        mails = []
        for c in conversations:
            survey = rows[c.pk]
            if survey.code not in mine:
                continue
            if survey.delivery == SurveySent.Delivery.EMAIL:
                assert c.customer is not None
                mails.append(_invitation(survey, c, organisation))
                sent.emailed += 1
            else:
                sent.links += 1
        Mail.objects.bulk_create(mails)


def _delivery(template: Template, conversation: Conversation) -> str:
    """E-mail when the template says so and the customer's address is one; else a link."""
    customer = conversation.customer
    if template.delivery == Template.Delivery.EMAIL and customer and _mailable(customer.email):
        return SurveySent.Delivery.EMAIL
    return SurveySent.Delivery.LINK


def _mailable(address: str) -> bool:
    try:
        validate_email(address.strip())
    except ValidationError:
        return False
    return True


def _invitation(survey: SurveySent, conversation: Conversation, organisation: str) -> Mail:
    assert survey.template is not None and survey.expires_at is not None
    language = survey.template.language
    text = texts(language)
    customer = conversation.customer
    assert customer is not None
    name = first_name(customer.name)
    greeting = text["hello"].format(name=name) if name else text["hello_anonymous"]
    subject = " ".join((conversation.subject or text["title"]).split())  # one line
    body = text["mail_body"].format(
        subject=subject,
        link=link_for(survey),
        until=day(timezone.localdate(survey.expires_at), language),
        organisation=organisation,
    )
    return Mail(
        user=None,
        to_address=customer.email.strip(),
        subject=text["mail_subject"].format(subject=subject)[:200],
        body=f"{greeting}\n\n{body}\n",
        next_attempt_at=survey.sent_at,
    )


# --- answering ----------------------------------------------------------------------------------


def record_answer(
    *, survey: SurveySent, csat: int | None, nps: int | None, ces: int | None
) -> SurveyResponse:
    """The customer's scores (the page's first step). Once per survey: a second answer is
    refused. A bad score tells the agent's lead at once and opens a follow-up due within the
    template's hours; the answer completes the request's customer-feedback step."""
    template = survey.template
    if template is None:
        raise SurveyError("this survey was sent by the help desk: its answers are imported")
    with transaction.atomic():
        locked = SurveySent.objects.select_for_update().get(pk=survey.pk)
        if SurveyResponse.objects.filter(survey=locked).exists():
            raise SurveyError("this survey was answered already")
        if locked.expires_at is not None and locked.expires_at <= timezone.now():
            raise SurveyError("this survey's link has expired")
        conversation = locked.conversation
        now = timezone.now()
        positive = answer_is_positive(
            csat=csat, csat_scale=template.csat_scale or 5, nps=nps, ces=ces
        )
        text = texts(template.language)
        question = (
            (template.high_question or text["high"])
            if positive
            else (template.low_question or text["low"])
        )
        response = SurveyResponse.objects.create(
            source=SOURCE,
            external_id=locked.code,
            survey=locked,
            conversation=conversation,
            agent_id=conversation.agent_id,
            team_id=conversation.team_id,
            csat=csat,
            csat_scale=template.csat_scale or 5,
            nps=nps,
            ces=ces,
            follow_up_question=question,
            answered_at=now,
        )
        reasons = bad_answers(
            csat=csat,
            csat_scale=template.csat_scale or 5,
            nps=nps,
            ces=ces,
            bad_csat=template.bad_csat,
            bad_nps=template.bad_nps,
            bad_ces=template.bad_ces,
        )
        if reasons:
            _open_follow_up(response, template, reasons, now)
        survey_answered.send(sender=SurveyResponse, conversation=conversation)
    return response


def record_more(*, response: SurveyResponse, follow_up_answer: str, comment: str) -> None:
    """The page's second step: the answer to the follow-up question and a comment, once."""
    with transaction.atomic():
        locked = SurveyResponse.objects.select_for_update().get(pk=response.pk)
        if locked.completed_at is not None:
            raise SurveyError("this survey was answered already")
        locked.follow_up_answer = follow_up_answer.strip()[:5000]
        locked.comment = comment.strip()[:5000]
        locked.completed_at = timezone.now()
        locked.save(update_fields=["follow_up_answer", "comment", "completed_at"])
        survey_answered.send(sender=SurveyResponse, conversation=locked.conversation)


def _open_follow_up(
    response: SurveyResponse, template: Template, reasons: list[str], now: datetime
) -> FollowUp:
    follow_up = FollowUp.objects.create(
        response=response,
        team_id=response.team_id,
        reasons=", ".join(reasons),
        created_at=now,
        due_at=now + timedelta(hours=template.follow_up_hours),
    )
    record_event(actor=None, action="survey.bad_score", obj=follow_up,
                 data={"reasons": follow_up.reasons, "response": response.code})  # fmt: skip
    tell_leads(follow_up)
    return follow_up


def tell_leads(follow_up: FollowUp) -> None:
    """A bad score reaches the agent's team's leads at once (its managers when it has none)."""
    agent = follow_up.response.agent
    notify(
        users=leads_or_managers(follow_up.team),
        kind=Kind.SURVEY_BAD_SCORE,
        text=f"A customer gave {follow_up.reasons} after talking to "
        f"{agent.name if agent else 'no agent'}: follow up by "
        f"{timezone.localtime(follow_up.due_at):%d %b %H:%M}",
        link=reverse("survey-follow-up", args=[follow_up.code]),
    )


def close_follow_up(*, follow_up: FollowUp, by: User, outcome: str, note: str) -> FollowUp:
    """Record what came of a bad score's follow-up; once (a closed one stays closed)."""
    if outcome not in FollowUp.Outcome.values:
        raise SurveyError(f"choose an outcome: {', '.join(FollowUp.Outcome.labels)}")
    if outcome != FollowUp.Outcome.NOT_NEEDED and not note.strip():
        raise SurveyError("say what the customer was told or why they could not be reached")
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.closed_at is not None:
            who = locked.closed_by.name if locked.closed_by else "someone"
            raise SurveyError(f"{who} recorded this follow-up already")
        locked.outcome, locked.note = outcome, note.strip()
        locked.closed_at, locked.closed_by = timezone.now(), by
        locked.save(update_fields=["outcome", "note", "closed_at", "closed_by"])
        record_event(actor=by, action="survey.follow_up", obj=locked, data={"outcome": outcome})
    return locked
