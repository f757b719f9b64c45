"""The demo's surveys SupportQA sent (PRODUCT.md §3.9): two templates, the last fortnight's
resolved conversations surveyed by them (e-mailed, or links for the help desk when the customer
left no address), about a third answered on the survey page, bad scores followed up by the
teams' leads — most recorded, some open, one overdue — and the latest one just in."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from supportqa.conversations.models import Channel, Conversation
from supportqa.demo.generate import SOURCE
from supportqa.notifications.actions import muted
from supportqa.notifications.models import Mail
from supportqa.surveys import actions
from supportqa.surveys.models import FollowUp, SurveyResponse, SurveySent, Template

DAYS = 14
LOW_ANSWERS = (
    "I had to explain the problem three times.",
    "The answer did not solve anything.",
    "Waited far too long for a reply.",
)
HIGH_ANSWERS = (
    "Quick and friendly.",
    "She knew exactly what to do.",
    "Clear steps, problem solved.",
)


def build_surveys(seed: int = 16) -> int:
    """The surveys (once: not when a template exists). Returns how many were sent."""
    if Template.objects.exists():
        return 0
    rng = random.Random(seed)
    chat = Template.objects.create(
        name="After chat and e-mail",
        position=1,
        csat_scale=5,
        channels=[Channel.CHAT, Channel.EMAIL, Channel.SOCIAL],
    )
    Template.objects.create(
        name="After phone calls",
        position=2,
        csat_scale=0,
        ask_nps=True,
        ask_ces=True,
        channels=[Channel.PHONE],
        delay_hours=1,
    )
    now = timezone.now()
    recent = (
        Conversation.objects.filter(source=SOURCE, resolved_at__gte=now - timedelta(days=DAYS))
        .filter(surveys_sent__isnull=True)
        .order_by("resolved_at")
    )
    with muted(), transaction.atomic():
        sent = 0
        for template in Template.objects.all():
            hours = timedelta(hours=template.delay_hours)
            for conversation in recent.filter(channel__in=template.channels).select_related(
                "customer", "agent"
            ):
                assert conversation.resolved_at is not None
                moment = conversation.resolved_at + hours
                if moment < now:
                    actions.send_batch(template, [conversation], moment, actions.Sent())
                    sent += 1
        Mail.objects.filter(user=None, status=Mail.Status.QUEUED).update(
            status=Mail.Status.SENT, sent_at=timezone.now()
        )  # delivered when they were sent (the demo does not mail its invented customers)
        _answers(rng, chat, now)
    _latest_bad_score()
    return sent


def _answers(rng: random.Random, chat: Template, now: datetime) -> None:
    surveys = SurveySent.objects.filter(template__isnull=False).select_related(
        "conversation", "template"
    )
    for survey in surveys.order_by("sent_at"):
        c = survey.conversation
        if rng.random() > 0.35:
            continue
        mood = (
            (1.0 if c.repeat_contact_seconds is None else -1.2)
            + (-1.0 if (c.first_response_seconds or 0) > 3600 else 0.3)
            + rng.gauss(0, 1.3)
        )
        scores = (
            {"csat": max(1, min(5, round(3.3 + mood))), "nps": None, "ces": None}
            if survey.template_id == chat.pk
            else {
                "csat": None,
                "nps": max(0, min(10, round(6.5 + 2 * mood))),
                "ces": max(1, min(7, round(4.5 + mood))),
            }
        )
        answered = min(survey.sent_at + timedelta(hours=rng.uniform(0.3, 30)), now)
        response = actions.record_answer(survey=survey, **scores)
        positive = "well" in response.follow_up_question
        said = rng.choice(HIGH_ANSWERS if positive else LOW_ANSWERS) if rng.random() < 0.6 else ""
        SurveyResponse.objects.filter(pk=response.pk).update(
            answered_at=answered,
            follow_up_answer=said,
            completed_at=answered + timedelta(minutes=1),
        )
        SurveySent.objects.filter(pk=survey.pk).update(opened_at=answered)
        follow_up = FollowUp.objects.filter(response=response).first()
        if follow_up is not None:
            _followed_up(rng, follow_up, answered, now)


def _followed_up(
    rng: random.Random, follow_up: FollowUp, answered: datetime, now: datetime
) -> None:
    """Bad scores older than two days were followed up by the team's lead, but for the first,
    left overdue; newer ones wait."""
    due = answered + timedelta(hours=24)
    fields: dict[str, object] = {"created_at": answered, "due_at": due}
    overdue_left = FollowUp.objects.filter(closed_at__isnull=True, due_at__lt=now).exists()
    if answered < now - timedelta(days=2) and overdue_left:
        team = follow_up.team
        lead = team.memberships.filter(is_lead=True).first() if team else None
        outcome = rng.choice(
            [FollowUp.Outcome.RESOLVED] * 3
            + [FollowUp.Outcome.UNRESOLVED, FollowUp.Outcome.NOT_REACHED]
        )
        fields.update(
            outcome=outcome,
            note={
                FollowUp.Outcome.RESOLVED: "Called the customer; the fix is confirmed.",
                FollowUp.Outcome.UNRESOLVED: "Spoke to them; escalated to billing.",
                FollowUp.Outcome.NOT_REACHED: "Two calls and an e-mail, no answer.",
            }[outcome],
            closed_at=answered + timedelta(hours=rng.uniform(2, 20)),
            closed_by=lead.user if lead else None,
        )
    FollowUp.objects.filter(pk=follow_up.pk).update(**fields)


def _latest_bad_score() -> None:
    """The newest bad score reaches its lead as it would have (the rest were muted history)."""
    latest = (
        FollowUp.objects.filter(closed_at__isnull=True)
        .select_related("team", "response__agent")
        .order_by("-created_at")
        .first()
    )
    if latest is not None:
        actions.tell_leads(latest)
