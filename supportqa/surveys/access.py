"""Who sees which surveys and follow-ups: those of the teams whose pages they may open."""

from __future__ import annotations

from django.db.models import QuerySet

from supportqa.accounts.access import get_in_scope, teams_for
from supportqa.accounts.models import User
from supportqa.accounts.permissions import may_run_surveys
from supportqa.surveys.models import FollowUp, SurveyResponse, SurveySent


def sent_for(user: User) -> QuerySet[SurveySent]:
    if not may_run_surveys(user):
        return SurveySent.objects.none()
    if user.is_org_wide:
        return SurveySent.objects.all()
    return SurveySent.objects.filter(team__in=teams_for(user))


def answers_for(user: User) -> QuerySet[SurveyResponse]:
    if not may_run_surveys(user):
        return SurveyResponse.objects.none()
    if user.is_org_wide:
        return SurveyResponse.objects.all()
    return SurveyResponse.objects.filter(team__in=teams_for(user))


def follow_ups_for(user: User) -> QuerySet[FollowUp]:
    if not may_run_surveys(user):
        return FollowUp.objects.none()
    if user.is_org_wide:
        return FollowUp.objects.all()
    return FollowUp.objects.filter(team__in=teams_for(user))


def get_follow_up_for_user(user: User, code: str) -> FollowUp:
    return get_in_scope(
        follow_ups_for(user).select_related(
            "response__conversation", "response__agent", "response__survey__template", "closed_by"
        ),
        code,
        "follow-up",
    )
