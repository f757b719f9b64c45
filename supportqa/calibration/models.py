from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


class CalibrationSession(models.Model):
    """Reviewers score the same conversations blind; the organiser reveals and discusses.

    Calibration reviews are stored as reviews of source "calibration" and never count toward
    agent scores (IQS uses manager, QA and peer reviews only).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open — reviewing blind"
        REVEALED = "revealed", "Revealed"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    title = models.CharField(max_length=200)
    scorecard_version = models.ForeignKey(
        "scorecards.ScorecardVersion", on_delete=models.PROTECT, related_name="+"
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organised_calibrations"
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="calibration_sessions"
    )
    baseline = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Optional expert whose review is the reference.",
    )
    conversations = models.ManyToManyField("conversations.Conversation", related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    revealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_revealed(self) -> bool:
        return self.status == self.Status.REVEALED

    def enters_agreed_final(self, user: Any) -> bool:
        """The organiser of an agreed-final session (not a participant) records the agreed
        ratings after the reveal."""
        return (
            self.is_revealed
            and self.baseline_id == user.pk == self.organiser_id
            and not self.participants.filter(pk=user.pk).exists()
        )

    def accepts_reviews_from(self, user: Any) -> bool:
        """Participants review blind until the reveal; from then on their reviews are frozen
        (the published agreement must not move) and only the agreed final may be entered."""
        if self.is_revealed:
            return self.enters_agreed_final(user)
        return self.participants.filter(pk=user.pk).exists()
