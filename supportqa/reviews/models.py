from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.lookups import In

from supportqa.codes import new_code
from supportqa.core.scoring import ReviewScore, passed, score_band
from supportqa.lookups import Unindexed


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


def scored_condition(path: str = "", *, indexed: bool = True) -> models.Q:
    """Submitted (or disputed, or final) reviews with a score, reached by `path` (e.g.
    "review__" from their ratings). Not `indexed`: the status written so that no index
    serves it on SQLite (lookups.Unindexed), for reads another condition narrows."""
    status = (
        models.Q(**{f"{path}status__in": SCORED_STATUSES})
        if indexed
        else models.Q(In(Unindexed(f"{path}status"), SCORED_STATUSES))
    )
    return status & models.Q(**{f"{path}final_score__isnull": False})


def counting_condition(path: str = "", *, indexed: bool = True) -> models.Q:
    """`counting_toward_iqs` as a condition on reviews reached by `path` (e.g. "review__");
    not `indexed`: status and source as conditions no index serves on SQLite."""
    source = (
        models.Q(**{f"{path}source__in": IQS_SOURCES})
        if indexed
        else models.Q(In(Unindexed(f"{path}source"), IQS_SOURCES))
    )
    return (
        scored_condition(path, indexed=indexed)
        & source
        & models.Q(**{f"{path}calibration_session__isnull": True})
    )


class ReviewQuerySet(models.QuerySet["Review"]):
    def scored(self) -> ReviewQuerySet:
        """Submitted (or disputed, or final) reviews with a score."""
        return self.filter(scored_condition())

    def counting_toward_iqs(self) -> ReviewQuerySet:
        """The one definition of the reviews IQS, pass rate, standings and the conversation
        list's score are computed from: scored human reviews (manager, QA, peer) outside
        calibration sessions. AutoQA, self and calibration reviews never count."""
        return self.filter(counting_condition())

    def drifted(self) -> list[tuple[Review, ReviewScore]]:
        """Scored reviews whose stored raw or final score (or critical fail) differs from what
        their ratings give, with the recomputed score. Must be empty: every write rescores."""
        from supportqa.scorecards.models import ScorecardVersion

        reviews = list(
            self.scored().prefetch_related(
                models.Prefetch("ratings", queryset=Rating.objects.select_related("option"))
            )
        )
        by_id = {
            v.pk: v
            for v in ScorecardVersion.objects.filter(
                pk__in={r.scorecard_version_id for r in reviews}
            )
        }
        out = []
        for review in reviews:
            chosen: dict[int, float | None] = {
                r.criterion_id: None if r.is_na else r.option.value for r in review.ratings.all()
            }
            score = by_id[review.scorecard_version_id].score(chosen)
            if (score.raw, score.final, score.critical_failed) != (
                review.raw_score,
                review.final_score,
                review.critical_failed,
            ):
                out.append((review, score))
        return out


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
    # The conversation's team, copied (set when the review is made, from the conversation, and
    # kept in step by `follow_teams` when an import moves the conversation), so a team's
    # reviews of a period are read by index: through the conversation, the team page at a
    # million conversations joined every review of the period to its conversation (28 ms).
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # served by review_by_team
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
    # No index of its own: a session's reviews are found by the partial unique index below
    # (one_calibration_review_each leads with it). A plain index also held the NULL of every
    # other review, and SQLite's planner, estimating ~500 rows a key, read all ~1M AutoQA
    # and human reviews through it for "outside calibration" (reviews migration 0008).
    calibration_session = models.ForeignKey(
        "calibration.CalibrationSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
        db_index=False,
    )
    inclusion_probability = models.FloatField(
        default=1.0,
        help_text="Probability the conversation was sampled for review (for weighting).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="The first submission; never moves (dispute deadline)."
    )
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reviewed agent said they had read it."
    )

    objects = ReviewQuerySet.as_manager()

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
            # People's reviews of a period without reading AutoQA's (one per conversation).
            models.Index(fields=["source", "status", "submitted_at"]),
            # An agent's latest reviews of one source (the agent page's AutoQA list) without
            # sorting all of the agent's reviews.
            models.Index(
                fields=["reviewee", "source", "submitted_at"], name="review_reviewee_source"
            ),
            # A team's reviews of one source and period (people's, without AutoQA's).
            models.Index(fields=["team", "source", "submitted_at"], name="review_by_team"),
        ]

    def __str__(self) -> str:
        return f"Review {self.code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.team_id is None and self.conversation_id is not None:
            # The conversation's team as it is now (an import may have moved it since the
            # caller read the conversation).
            self.team_id = (
                type(self.conversation)
                .objects.filter(pk=self.conversation_id)
                .values_list("team_id", flat=True)
                .first()
            )
        super().save(*args, **kwargs)

    @property
    def is_scored(self) -> bool:
        return self.status in SCORED_STATUSES

    @property
    def counts_toward_iqs(self) -> bool:
        return self.is_scored and self.source in IQS_SOURCES and self.calibration_session_id is None

    @property
    def passed(self) -> bool:
        return self.final_score is not None and passed(
            self.final_score, self.scorecard_version.pass_threshold
        )

    @property
    def band(self) -> str:
        return score_band(self.final_score, self.scorecard_version.pass_threshold)

    def recomputed_score(self) -> ReviewScore:
        """The score its stored ratings give under its scorecard version."""
        chosen: dict[int, float | None] = {
            rating.criterion_id: None if rating.is_na else rating.option.value
            for rating in self.ratings.select_related("option")
        }
        return self.scorecard_version.score(chosen)

    def rescore(self) -> list[str]:
        """Set raw score, final score and critical fail from the stored ratings; returns the
        changed field names for `save(update_fields=...)`."""
        result = self.recomputed_score()
        self.raw_score, self.final_score = result.raw, result.final
        self.critical_failed = result.critical_failed
        return ["raw_score", "final_score", "critical_failed"]


def score_drift() -> list[str]:
    """One line per scored review whose stored score is not its ratings' (audit_verify)."""
    return [
        f"review {review.code}: stored {review.final_score} (raw {review.raw_score}), its "
        f"ratings give {score.final} (raw {score.raw})"
        for review, score in Review.objects.drifted()
    ]


class Rating(models.Model):
    # Found by review through `rating_by_review` (no index of its own).
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="ratings", db_index=False
    )
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
    )  # always `criterion.score_of(option)`: set through `Rating.of`
    comment = models.TextField(blank=True)
    root_causes = models.ManyToManyField("scorecards.RootCauseOption", blank=True)
    evidence = models.ManyToManyField(
        "conversations.Message",
        blank=True,
        related_name="cited_in",
        help_text="Messages the rating is based on.",
    )

    @classmethod
    def of(cls, review: Review, criterion: Any, option: Any, **fields: Any) -> Rating:
        """A rating with its criterion score derived from the option (None: N/A)."""
        return cls(
            review=review,
            criterion=criterion,
            option=option,
            is_na=option is None,
            score=criterion.score_of(option),
            **fields,
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
        indexes = [
            # A review's ratings with what the dashboards sum and pair (criterion, score,
            # option) in the index itself: the criterion sums of a team's 3,300 reviews of 90
            # days at 1M read 27,000 ratings, 30 ms on SQLite visiting the table, 15 without.
            models.Index(
                fields=["review", "criterion", "is_na", "score", "option"],
                name="rating_by_review",
            ),
        ]


class ReviewRevision(models.Model):
    """A submitted review's earlier version, kept when an edit or a dispute decision changed
    it: its ratings, comments and scores, who made that version and when, and who replaced
    it, when and why."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    scorecard_version = models.ForeignKey(
        "scorecards.ScorecardVersion", on_delete=models.PROTECT, related_name="+"
    )
    # [{"criterion", "name", "rating", "score", "comment", "root_causes", "evidence"}, ...]
    ratings = models.JSONField(default=list)
    overall_comment = models.TextField(blank=True)
    raw_score = models.FloatField(null=True, blank=True)
    final_score = models.FloatField(null=True, blank=True)
    critical_failed = models.BooleanField(default=False)
    version_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_at = models.DateTimeField()
    reason = models.TextField()

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="one_revision_number")
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
