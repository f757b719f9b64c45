"""The survey part of a conversation's page: the survey sent, its answer and follow-up, and
(for the quality team) sending one."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.accounts.permissions import may_run_surveys, may_see_survey_links
from supportqa.conversations.models import Conversation
from supportqa.statements import ID, READS
from supportqa.surveys.actions import link_for
from supportqa.surveys.models import FollowUp, SurveyResponse, SurveySent, Template


def conversation_panel(user: User, conversation: Conversation) -> dict[str, Any]:
    sent = READS.first(
        "survey sent",
        lambda slots: SurveySent.objects.select_related("template").filter(
            conversation_id=slots("conversation", ID)
        ),
        conversation=conversation.pk,
    )
    answers = READS.read(
        "survey answers",
        lambda slots: SurveyResponse.objects.filter(conversation_id=slots("conversation", ID)),
        conversation=conversation.pk,
    )
    staff = may_run_surveys(user)
    follow_up = FollowUp.objects.filter(response__in=answers).first() if staff and answers else None
    open_link = (
        sent is not None
        and sent.template_id is not None
        and not answers
        and (sent.expires_at is None or sent.expires_at > timezone.now())
    )
    templates = (
        list(Template.in_use())
        if staff and sent is None and conversation.resolved_at is not None
        else []
    )
    return {
        "sent": sent,
        "answers": answers,
        "follow_up": follow_up,
        "link": link_for(sent) if open_link and sent and may_see_survey_links(user) else "",
        "templates": templates,
        "staff": staff,
    }
