"""Coaching (PRODUCT.md §3.8): sessions in the order of the professional feedback guidelines,
their areas for improvement with example conversations, SMART goals tracked from the data, and
follow-ups (sessions that follow one)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


class Session(models.Model):
    class Format(models.TextChoices):
        VIDEO = "video", "Video call"
        WRITTEN = "written", "Written report"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held: waiting for signatures"
        SIGNED = "signed", "Signed off by both"
        CANCELLED = "cancelled", "Cancelled"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coached_sessions"
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coaching_sessions"
    )
    follows = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=30)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.VIDEO)
    meeting_link = models.URLField(blank=True, help_text="Where the video call takes place.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    # The packet's period: the weeks the session looks back on.
    period_first = models.DateField()
    period_last = models.DateField()
    # The record, in the guidelines' order.
    positives = models.TextField(blank=True)
    self_reflection = models.TextField(blank=True, help_text="The agent's own, before or after.")
    support = models.JSONField(default=list, blank=True)  # training, resources, shadowing…
    support_note = models.TextField(blank=True)
    coach_signed_at = models.DateTimeField(null=True, blank=True)
    agent_signed_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.TextField(blank=True)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: changes.")
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["agent", "starts_at"])]

    def __str__(self) -> str:
        return f"Coaching {self.agent} {self.starts_at:%d %b %Y}"


class Area(models.Model):
    """An area for improvement, tied to a rubric criterion or a KPI, with its examples."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="areas")
    metric = models.CharField(max_length=80, help_text="criterion:<key> or a KPI key")
    note = models.TextField()
    examples = models.JSONField(default=list, blank=True)  # conversation codes

    class Meta:
        ordering = ["session", "id"]


class Goal(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="goals")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    metric = models.CharField(max_length=80)
    target = models.FloatField()
    baseline = models.JSONField(default=dict)  # value, low, high, n when it was set
    set_on = models.DateField()
    due = models.DateField()
    met_at = models.DateTimeField(null=True, blank=True)  # recognition sent once
    reminded_at = models.DateTimeField(null=True, blank=True)  # "due soon" sent once

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return f"{self.metric} → {self.target:g} by {self.due:%d %b %Y}"


class SessionRating(models.Model):
    """The agent's feedback on the feedback: how useful, specific and fair the session was."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="rating")
    useful = models.PositiveSmallIntegerField()
    specific = models.PositiveSmallIntegerField()
    fair = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(useful__gte=1, useful__lte=5, specific__gte=1,
                                   specific__lte=5, fair__gte=1, fair__lte=5),
                name="coaching_rating_1_to_5",
            )
        ]  # fmt: skip


class LibraryItem(models.Model):
    """An excellent interaction nominated for the peer learning library: shared with agents
    only after its agent consents, anonymised (names and personal data removed)."""

    class Consent(models.TextChoices):
        ASKED = "asked", "Waiting for the agent's consent"
        GIVEN = "given", "Shared"
        REFUSED = "refused", "Not shared (the agent declined)"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    criteria = models.JSONField(default=list)  # criterion keys it shows well
    note = models.TextField(help_text="Why it is excellent.")
    consent = models.CharField(max_length=8, choices=Consent.choices, default=Consent.ASKED)
    answered_at = models.DateTimeField(null=True, blank=True)
    transcript = models.JSONField(default=list, blank=True)  # anonymised, once shared
    text = models.TextField(blank=True)  # the anonymised words, for the search
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["conversation"], name="coaching_library_once")
        ]
