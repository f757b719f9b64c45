from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


class Design(models.TextChoices):
    RANDOM = "random", "Random"
    STRATIFIED = "stratified", "Stratified by agent"
    TARGETED = "targeted", "Targeted (spotlight) plus random"


class Target(models.TextChoices):
    LOW_CSAT = "low_csat", "Low CSAT"
    REOPENED = "reopened", "Reopened"
    SLOW_FIRST_RESPONSE = "slow_first_response", "Slow first response"
    LONG_RESOLUTION = "long_resolution", "Long resolution"
    NEGATIVE_SENTIMENT = "negative_sentiment", "Customer ends negative"
    ESCALATED = "escalated", "Escalated (tagged)"


class AssignmentCycle(models.Model):
    """A recurring review programme: every `every_days`, sample the conversations of the last
    period and split them among the reviewers by quota."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=150)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: every team.",
    )
    design = models.CharField(max_length=16, choices=Design.choices, default=Design.RANDOM)
    sample_size = models.PositiveIntegerField(
        default=20, help_text="Random picks per cycle (per agent when stratified)."
    )
    targets = models.JSONField(default=list, blank=True, help_text="Spotlight rules (targeted).")
    every_days = models.PositiveIntegerField(default=7)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CycleReviewer", related_name="assignment_cycles"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField()
    seed = models.PositiveIntegerField(default=0, help_text="Reproducible sampling.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CycleReviewer(models.Model):
    cycle = models.ForeignKey(AssignmentCycle, on_delete=models.CASCADE)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    quota = models.PositiveIntegerField(default=10, help_text="Reviews per cycle at most.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "reviewer"], name="one_quota")]


class Assignment(models.Model):
    """One reviewer's batch from one run of a cycle."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    cycle = models.ForeignKey(
        AssignmentCycle,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]


class AssignmentItem(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="items")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    method = models.CharField(max_length=16, choices=Design.choices)
    reason = models.CharField(max_length=64, blank=True, help_text="Spotlight rule or stratum.")
    inclusion_probability = models.FloatField()
    review = models.ForeignKey(
        "reviews.Review", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    @property
    def reason_label(self) -> str:
        """The spotlight rule that picked it, as people read it ("Low CSAT")."""
        return str(dict(Target.choices).get(self.reason, self.reason))

    class Meta:
        ordering = ["assignment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "conversation"], name="once_per_batch"),
            models.CheckConstraint(
                condition=models.Q(inclusion_probability__gt=0, inclusion_probability__lte=1),
                name="item_probability_0_1",
            ),
        ]
