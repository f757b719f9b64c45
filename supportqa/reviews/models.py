from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


class Source(models.TextChoices):
    MANAGER = "manager", "Manager"
    QA = "qa", "QA"
    SELF = "self", "Self"
    PEER = "peer", "Peer"
    AUTOQA = "autoqa", "AutoQA"
    CALIBRATION = "calibration", "Calibration"
    MYSTERY_SHOP = "mystery_shop", "Mystery shop"


# Sources that make up the human internal quality score (IQS).
IQS_SOURCES = (Source.MANAGER, Source.QA, Source.PEER)


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    DISPUTED = "disputed", "Disputed"
    FINAL = "final", "Final"


SCORED_STATUSES = (ReviewStatus.SUBMITTED, ReviewStatus.DISPUTED, ReviewStatus.FINAL)


class Review(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews_given",
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.QA)
    scorecard_version = models.ForeignKey(
        "scorecards.ScorecardVersion", on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    overall_comment = models.TextField(blank=True)
    raw_score = models.FloatField(null=True, blank=True)
    final_score = models.FloatField(null=True, blank=True)
    critical_failed = models.BooleanField(default=False)
    calibration_session = models.ForeignKey(
        "calibration.CalibrationSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    inclusion_probability = models.FloatField(
        default=1.0,
        help_text="Probability the conversation was sampled for review (for weighting).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "reviewer", "reviewee", "source"],
                condition=models.Q(calibration_session__isnull=True),
                name="one_review_each",
            ),
            models.UniqueConstraint(
                fields=["calibration_session", "conversation", "reviewer"],
                condition=models.Q(calibration_session__isnull=False),
                name="one_calibration_review_each",
            ),
            models.CheckConstraint(
                condition=models.Q(inclusion_probability__gt=0, inclusion_probability__lte=1),
                name="inclusion_probability_0_1",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewee", "status", "submitted_at"]),
            models.Index(fields=["status", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"Review {self.code}"

    @property
    def is_scored(self) -> bool:
        return self.status in SCORED_STATUSES

    @property
    def passed(self) -> bool:
        return self.final_score is not None and (
            self.final_score >= self.scorecard_version.pass_threshold
        )


class Rating(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(
        "scorecards.Criterion", on_delete=models.PROTECT, related_name="ratings"
    )
    option = models.ForeignKey(
        "scorecards.RatingOption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_na = models.BooleanField(default=False)
    score = models.FloatField(
        null=True, blank=True, help_text="Criterion score 0–100; null if N/A."
    )
    comment = models.TextField(blank=True)
    root_causes = models.ManyToManyField("scorecards.RootCauseOption", blank=True)
    evidence = models.ManyToManyField(
        "conversations.Message",
        blank=True,
        related_name="cited_in",
        help_text="Messages the rating is based on.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="one_rating_per_criterion"
            ),
            models.CheckConstraint(
                condition=models.Q(is_na=True, option__isnull=True)
                | models.Q(is_na=False, option__isnull=False),
                name="rating_option_or_na",
            ),
        ]


class Dispute(models.Model):
    """An agent contests some ratings of a review; the reviewer or an arbiter decides."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        PARTIAL = "partial", "Partially accepted"
        REJECTED = "rejected", "Rejected"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="disputes")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    score_before = models.FloatField(null=True, blank=True)
    score_after = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review"],
                condition=models.Q(status="open"),
                name="one_open_dispute_per_review",
            )
        ]

    @property
    def overturned(self) -> bool:
        return self.status in (self.Status.ACCEPTED, self.Status.PARTIAL)


class DisputeItem(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="items")
    criterion = models.ForeignKey(
        "scorecards.Criterion", on_delete=models.PROTECT, related_name="+"
    )
    previous_option = models.ForeignKey(
        "scorecards.RatingOption", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_option = models.ForeignKey(
        "scorecards.RatingOption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: the agent proposes N/A.",
    )
    accepted = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dispute", "criterion"], name="one_item_per_criterion")
        ]
