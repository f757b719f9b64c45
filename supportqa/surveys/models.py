from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


def satisfied(path: str = "") -> models.Q:
    """CSAT in the top two options (4–5 of 5, 6–7 of 7): SQL form of kpis.csat_is_satisfied,
    for answers reached by `path` (e.g. "response__" from the surveys sent)."""
    return models.Q(**{f"{path}csat__gte": models.F(f"{path}csat_scale") - 1})


SATISFIED = satisfied()


class SurveySent(models.Model):
    """A survey invitation; the denominator of the response rate and of non-response bias."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="surveys_sent"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Copied from the conversation (kept in step by `surveys.actions.sync_owners`) so team and
    # agent dashboards filter surveys by an index instead of joining every conversation.
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation"], name="one_survey_per_conversation")
        ]
        indexes = [
            models.Index(fields=["team", "sent_at"], name="survey_sent_team"),
            models.Index(fields=["agent", "sent_at"], name="survey_sent_agent"),
        ]


class SurveyResponse(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=200)
    survey = models.OneToOneField(
        SurveySent, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="survey_responses"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
        db_index=False,
    )
    team = models.ForeignKey(  # copied from the conversation, like SurveySent.team
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_scale = models.PositiveSmallIntegerField(default=5)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    ces = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="survey_source_id"),
            models.CheckConstraint(
                condition=models.Q(csat_scale__in=[5, 7]), name="csat_scale_5_or_7"
            ),
            models.CheckConstraint(
                condition=models.Q(csat__isnull=True)
                | models.Q(csat__gte=1, csat__lte=models.F("csat_scale")),
                name="csat_in_scale",
            ),
            models.CheckConstraint(
                condition=models.Q(nps__isnull=True) | models.Q(nps__lte=10), name="nps_0_to_10"
            ),
            models.CheckConstraint(
                condition=models.Q(ces__isnull=True) | models.Q(ces__gte=1, ces__lte=7),
                name="ces_1_to_7",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "answered_at"]),
            models.Index(fields=["team", "answered_at"], name="survey_response_team"),
        ]
