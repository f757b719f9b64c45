"""AutoQA's queue, its findings and the organisation's AutoQA settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from supportqa import configured
from supportqa.codes import new_code
from supportqa.core.autoqa import DEFAULT_MAPPING, DETECTORS, Rules
from supportqa.reports.models import reference


class AutoQASettings(models.Model):
    """The organisation's phrase lists, service-level targets and rules (one row). Empty keys
    keep the English defaults of `supportqa.core.autoqa.Rules`."""

    rules = models.JSONField(default=dict, blank=True)
    # {scorecard slug: {criterion key: [detector, ...]}} overriding DEFAULT_MAPPING per
    # criterion; an empty list leaves that criterion to humans.
    mapping = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AutoQA settings"
        verbose_name_plural = "AutoQA settings"

    def __str__(self) -> str:
        return "AutoQA settings"

    def clean(self) -> None:
        if not isinstance(self.rules, dict):
            raise ValidationError({"rules": "must be a JSON object"})
        try:
            Rules.from_dict(self.rules)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"rules": str(exc)}) from None
        try:
            mapping_from(self.mapping)
        except ValueError as exc:
            raise ValidationError({"mapping": str(exc)}) from None

    @classmethod
    def current(cls) -> tuple[Rules, dict[str, dict[str, tuple[str, ...]]]]:
        """The rules and the detector → criterion mapping in force."""

        def read() -> tuple[Rules, dict[str, dict[str, tuple[str, ...]]]]:
            row = cls.objects.order_by("pk").first()
            if row is None:
                return Rules(), mapping_from({})
            return Rules.from_dict(row.rules), mapping_from(row.mapping)

        return configured.kept("autoqa-settings", read)


def mapping_from(overrides: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    """DEFAULT_MAPPING with an organisation's overrides; unknown detectors are an error."""
    if not isinstance(overrides, dict):
        raise ValueError("the mapping must be a JSON object of scorecard slugs")
    merged = {slug: dict(criteria) for slug, criteria in DEFAULT_MAPPING.items()}
    for slug, criteria in overrides.items():
        if not isinstance(criteria, dict):
            raise ValueError(f"{slug}: must map criterion keys to lists of detectors")
        for key, names in criteria.items():
            merged.setdefault(slug, {})[key] = _detector_names(names, f"{slug}.{key}")
    return {slug: {k: v for k, v in c.items() if v} for slug, c in merged.items()}


def _detector_names(names: Any, where: str) -> tuple[str, ...]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{where}: must be a list of detector names")
    unknown = sorted(set(names) - set(DETECTORS))
    if unknown:
        raise ValueError(
            f"{where}: unknown detector {', '.join(unknown)}; known: {', '.join(DETECTORS)}"
        )
    return tuple(names)


class Job(models.Model):
    """A conversation waiting for (or given) an AutoQA review. Workers claim pending jobs in a
    transaction; a job claimed longer ago than SUPPORTQA_AUTOQA_STALE_SECONDS is claimable
    again, so an interrupted run resumes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="autoqa_job"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The conversation's content hash when the last run scored it: unchanged → nothing to do.
    done_hash = models.CharField(max_length=64, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The last run's mean confidence over the criteria it rated (0–1): low goes to a human.
    confidence = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["status", "confidence"]),
            # The jobs still to do, in claiming order: a worker's claim reads them from here.
            # Without it, PostgreSQL walked the primary key past every done job to the first
            # pending one (42 ms a claim at 100,000 conversations, ten times that at 1M).
            models.Index(
                fields=["id"],
                condition=models.Q(status__in=["pending", "running"]),
                name="autoqa_job_to_do",
            ),
        ]

    def __str__(self) -> str:
        return f"AutoQA job {self.conversation_id} ({self.status})"


def detector_label(name: str) -> str:
    """How a detector is named on pages: "response_time" → "Response time"."""
    return name.replace("_", " ").capitalize()


class Finding(models.Model):
    """One detector's result for an AutoQA review, with its evidence spans."""

    review = models.ForeignKey(
        "reviews.Review",
        on_delete=models.CASCADE,
        related_name="autoqa_findings",
        db_index=False,  # one_finding_each (review, detector) serves every lookup by review
    )
    detector = models.CharField(max_length=40)
    score = models.FloatField(null=True, blank=True, help_text="0–1; empty: does not apply")
    confidence = models.FloatField()
    explanation = models.TextField()
    # [{"seq": message seq, "start": char, "end": char}, ...]
    evidence = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["review", "detector"]
        constraints = [
            models.UniqueConstraint(fields=["review", "detector"], name="one_finding_each")
        ]

    def __str__(self) -> str:
        return f"{self.detector}: {self.score}"

    @property
    def label(self) -> str:
        return detector_label(self.detector)

    # A score from HIT up is a hit, from PARTIAL up a partial hit, below it a miss.
    HIT, PARTIAL = 0.75, 0.25

    @property
    def outcome(self) -> str:
        if self.score is None:
            return "n/a"
        if self.score >= self.HIT:
            return "hit"
        return "partial" if self.score >= self.PARTIAL else "miss"


class LearnedModel(models.Model):
    """A criterion model trained on the organisation's human reviews
    (`supportqa.core.criterion_model`). AutoQA uses it instead of the rule mapping only when
    it agreed better with the humans on held-out reviews."""

    scorecard_slug = models.SlugField(max_length=64)
    criterion_key = models.SlugField(max_length=64)
    trained_at = models.DateTimeField(auto_now=True)
    examples = models.PositiveIntegerField()
    evaluation = models.JSONField(default=dict)
    active = models.BooleanField(default=False)
    blob = models.BinaryField(help_text="The fitted model (pickled by SupportQA itself).")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard_slug", "criterion_key"], name="one_model_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_slug}/{self.criterion_key}"

    def kappa(self, which: str = "kappa") -> float | None:
        found = self.evaluation.get(which)
        return None if found is None else float(found["value"])


# --- daily rollups of AutoQA's results (supportqa.reports.rollups; registered in apps.py) ---


class AutoQASums(models.Model):
    """AutoQA reviews of conversations created on `day`, per agent: how many, and the count,
    sum and sum of squares of their scores (AQS; a review of only N/A criteria has none)."""

    day = models.DateField()
    agent = reference(settings.AUTH_USER_MODEL)
    reviews = models.IntegerField()
    score_n = models.IntegerField(default=0)
    score_sum = models.FloatField()
    score_sq = models.FloatField(default=0)

    class Meta:
        abstract = True


class AutoQADay(AutoQASums):
    class Meta:
        indexes = [models.Index(fields=["day"]), models.Index(fields=["agent", "day"])]


class AutoQAHour(AutoQASums):
    """The same per UTC hour of the day (0–23): read for a period's first and last days."""

    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"]), models.Index(fields=["agent", "day"])]


class AutoQACriterionFigures(models.Model):
    """AutoQA's ratings (not N/A) of conversations created on `day`, per criterion key: how
    many, and the sum and sum of squares of their criterion scores."""

    day = models.DateField()
    criterion_key = models.CharField(max_length=64)
    ratings = models.IntegerField()
    score_sum = models.FloatField()
    score_sq = models.FloatField(default=0)

    class Meta:
        abstract = True


class AutoQACriterionSums(AutoQACriterionFigures):
    """The same per agent."""

    agent = reference(settings.AUTH_USER_MODEL)

    class Meta:
        abstract = True


class AutoQACriterionDay(AutoQACriterionSums):
    class Meta:
        indexes = [
            # A period's rows with their sums in the index itself: the AutoQA page reads
            # every agent's rows of 90 days (45,000 at 1M) without visiting the table.
            models.Index(
                fields=["day", "criterion_key", "ratings", "score_sum", "score_sq", "agent"],
                name="autoqa_criterion_day_sums",
            ),
            models.Index(fields=["agent", "day"]),
        ]


class AutoQACriterionHour(AutoQACriterionSums):
    """The same per UTC hour of the day (0–23): read for a period's first and last days."""

    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"]), models.Index(fields=["agent", "day"])]


class AutoQADetectorFigures(models.Model):
    """AutoQA's findings on conversations created on `day`, per detector: hits, partial hits,
    misses and does-not-apply."""

    day = models.DateField()
    detector = models.CharField(max_length=64)
    findings = models.IntegerField()
    hit = models.IntegerField()
    partial = models.IntegerField()
    miss = models.IntegerField()
    na = models.IntegerField()

    class Meta:
        abstract = True


class AutoQADetectorSums(AutoQADetectorFigures):
    """The same per agent."""

    agent = reference(settings.AUTH_USER_MODEL)

    class Meta:
        abstract = True


class AutoQADetectorDay(AutoQADetectorSums):
    class Meta:
        indexes = [
            # As the criteria's: 73,000 rows for 90 days at 1M, 43 -> 15 ms on SQLite.
            models.Index(
                fields=["day", "detector", "findings", "hit", "partial", "miss", "na", "agent"],
                name="autoqa_detector_day_sums",
            ),
            models.Index(fields=["agent", "day"]),
        ]


class AutoQADetectorHour(AutoQADetectorSums):
    """The same per UTC hour of the day (0–23): read for a period's first and last days."""

    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"]), models.Index(fields=["agent", "day"])]


# The criteria's and detectors' rows added up over the agents (`rollups.everyones`): what an
# org-wide person's AutoQA page reads. At a million conversations the per-agent rows of 90
# days are 45,000 and 73,000, and adding them up took PostgreSQL 12 and 21 ms a view; these
# hold 720 and 1,170.


class AutoQACriterionEveryoneDay(AutoQACriterionFigures):
    class Meta:
        indexes = [models.Index(fields=["day"])]


class AutoQACriterionEveryoneHour(AutoQACriterionFigures):
    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"])]


class AutoQADetectorEveryoneDay(AutoQADetectorFigures):
    class Meta:
        indexes = [models.Index(fields=["day"])]


class AutoQADetectorEveryoneHour(AutoQADetectorFigures):
    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"])]


class AgreementFigures(models.Model):
    """People's ratings (not N/A, in reviews that count toward IQS) of conversations created
    on `day` that AutoQA also rated, per criterion key and pair of option values (AutoQA's,
    the person's): how many. Agreement with people is computed from these counts."""

    day = models.DateField()
    criterion_key = models.CharField(max_length=64)
    ours = models.FloatField()  # AutoQA's option value
    theirs = models.FloatField()  # the person's
    pairs = models.IntegerField()

    class Meta:
        abstract = True


class AgreementSums(AgreementFigures):
    """The same per agent (the reviewed one)."""

    agent = reference(settings.AUTH_USER_MODEL)

    class Meta:
        abstract = True


class AgreementDay(AgreementSums):
    class Meta:
        indexes = [models.Index(fields=["day"]), models.Index(fields=["agent", "day"])]


class AgreementHour(AgreementSums):
    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"]), models.Index(fields=["agent", "day"])]


class AgreementEveryoneDay(AgreementFigures):
    class Meta:
        indexes = [models.Index(fields=["day"])]


class AgreementEveryoneHour(AgreementFigures):
    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"])]


class UnsureCheckSums(models.Model):
    """Conversations created on `day` that people reviewed and AutoQA scored, per agent and
    whether AutoQA was unsure of them: how many, and the sum and sum of squares of each one's
    share of rated criteria (%) where AutoQA chose the people's option."""

    day = models.DateField()
    agent = reference(settings.AUTH_USER_MODEL)
    unsure = models.BooleanField()
    conversations = models.IntegerField()
    share_sum = models.FloatField()
    share_sq = models.FloatField()

    class Meta:
        abstract = True


class UnsureCheckDay(UnsureCheckSums):
    class Meta:
        indexes = [models.Index(fields=["day"]), models.Index(fields=["agent", "day"])]


class UnsureCheckHour(UnsureCheckSums):
    hour = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "hour"]), models.Index(fields=["agent", "day"])]


class Flag(models.Model):
    """Someone who can see an AutoQA review says its rating of one criterion is wrong. Kept
    by conversation and criterion key, with the rating as it was, so re-scoring the
    conversation keeps the flag; flags count on the AutoQA page and send the conversation to
    the people's queue of conversations AutoQA may have got wrong."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="autoqa_flags"
    )
    criterion_key = models.CharField(max_length=64)
    criterion_name = models.CharField(max_length=200)
    rated = models.CharField(max_length=200, help_text="AutoQA's rating when it was flagged.")
    proposed = models.CharField(max_length=200, blank=True, help_text="Empty: not said.")
    reason = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "criterion_key", "raised_by"], name="one_flag_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion_name}: {self.rated}"


class Validation(models.Model):
    """How well one detector agreed with people on a labelled set (`supportqa autoqa evaluate
    --publish`, or the evaluation page), shown on the AutoQA page to the people it judges.
    `figures` holds each figure as [value, low, high] (`autoqa.evaluation.figures_of`)."""

    dataset = models.CharField(max_length=150)
    detector = models.CharField(max_length=40)
    kind = models.CharField(max_length=10)  # binary, score, applies (core.autoqa.evaluate)
    threshold = models.FloatField(null=True, blank=True)
    n = models.PositiveIntegerField()
    figures = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["detector", "dataset", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "detector", "kind"], name="one_validation_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.detector} on {self.dataset}"
