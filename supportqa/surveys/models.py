from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


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
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation"], name="one_survey_per_conversation")
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
        indexes = [models.Index(fields=["agent", "answered_at"])]
