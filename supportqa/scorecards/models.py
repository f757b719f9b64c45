from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.db import models

from supportqa import configured
from supportqa.codes import new_code
from supportqa.core.recent import Recent
from supportqa.core.scoring import CriterionRating, ReviewScore, criterion_score, review_score


class Scorecard(models.Model):
    """A named rubric. Its content lives in immutable versions; a review pins one version."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Kind(models.TextChoices):
        CONVERSATION = "conversation", "Conversation reviews"
        MYSTERY_SHOP = "mystery_shop", "Mystery shop evaluations"

    # What it rates: conversations (reviewers, AutoQA, calibration), or a mystery shopper's
    # contact (a scenario's evaluation form); never offered for the other.
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CONVERSATION)
    # Conditional scorecards: empty lists mean "any".
    channels = models.JSONField(default=list, blank=True)
    categories = models.ManyToManyField("conversations.Category", blank=True)
    teams = models.ManyToManyField(
        "accounts.Team", blank=True, help_text="The conversation's team; empty means any."
    )
    priority = models.IntegerField(default=0, help_text="Higher wins when several match.")

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> ScorecardVersion | None:
        return self.versions.order_by("-number").first()

    @cached_property
    def condition_ids(self) -> tuple[frozenset[int], frozenset[int]]:
        """The ids of its categories and of its teams (empty: any), read once per instance:
        matching reads them for every conversation, from the process's kept active
        scorecards (a change to them is a new configuration stamp, so new instances)."""
        return (
            frozenset(c.pk for c in self.categories.all()),
            frozenset(t.pk for t in self.teams.all()),
        )


def default_pass_threshold() -> float:
    """The pass threshold of a new scorecard version that does not set one."""
    return float(settings.SUPPORTQA_PASS_THRESHOLD)


class ScorecardVersion(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    pass_threshold = models.FloatField(default=default_pass_threshold)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["scorecard", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "number"], name="version_number")
        ]

    def __str__(self) -> str:
        return f"{self.scorecard.name} v{self.number}"

    def score(self, chosen: Mapping[int, float | None]) -> ReviewScore:
        """Score a set of ratings: criterion id → option value (None = N/A)."""
        ratings = [
            CriterionRating(key, chosen[pk], low, high, weight, critical, section)
            for pk, key, low, high, weight, critical, section in self.parts.scales
            if pk in chosen
        ]
        return review_score(ratings, self.parts.weights)

    @property
    def layout(self) -> tuple[dict[str, float], tuple[Placed, ...]]:
        """The weights of the sections (by section id as text) and every criterion in order
        with its section, options and scale (`parts`)."""
        return self.parts.weights, self.parts.placed

    @cached_property
    def parts(self) -> Parts:
        """What this version rates, read once per process in four queries: a version never
        changes once published, and no other version ever has its id and code (a code is
        never reused, even where a rolled-back id is)."""
        key = (self.pk, self.code)
        parts = _PARTS.get(key)
        if parts is None:
            parts = _read_parts(self)
            _PARTS.put(key, parts)
        return parts


class Parts(NamedTuple):
    """A version's criteria in order (section position, then criterion position), each with
    its section, rating options and root causes prefetched; its sections' weights (by section
    id as text) and its criteria placed with their scales. Shared by a process's requests:
    read them, never change them."""

    criteria: tuple[Criterion, ...]
    weights: dict[str, float]
    placed: tuple[Placed, ...]
    # Per placed criterion, what scoring reads of it: id, id as text (the scoring key),
    # scale low and high, weight, critical, section id as text (AutoQA scores thousands of
    # reviews a second with them).
    scales: tuple[tuple[int, str, float, float, float, bool, str], ...]


_PARTS: Recent[tuple[int, str], Parts] = Recent(64)


def _read_parts(version: ScorecardVersion) -> Parts:
    # Read by the version's id, not through `version.sections`: the kept sections would
    # otherwise hold the requesting instance (and whatever it had cached) as their version.
    sections = Section.objects.filter(version_id=version.pk).prefetch_related(
        models.Prefetch("criteria", Criterion.objects.prefetch_related("options", "root_causes"))
    )
    criteria, weights, placed = [], {}, []
    for section in sections:
        weights[str(section.pk)] = section.weight
        for criterion in section.criteria.all():
            options = tuple(criterion.options.all())
            low, high = bounds_of([o.value for o in options])
            criteria.append(criterion)
            placed.append(Placed(section, criterion, options, low, high))
    scales = tuple(
        (p.criterion.pk, str(p.criterion.pk), p.low, p.high, p.criterion.weight,
         p.criterion.critical, str(p.section.pk))
        for p in placed
    )  # fmt: skip
    return Parts(tuple(criteria), weights, tuple(placed), scales)


def bounds_of(values: list[float]) -> tuple[float, float]:
    """A criterion's scale: its lowest and highest option value (0–100 with no options)."""
    return (min(values), max(values)) if values else (0.0, 100.0)


class Placed(NamedTuple):
    """A criterion of a version with its section, its rating options and its scale."""

    section: Section
    criterion: Criterion
    options: tuple[RatingOption, ...]
    low: float
    high: float

    def score_of(self, option: RatingOption | None) -> float | None:
        """`Criterion.score_of` from the scale read once."""
        return None if option is None else criterion_score(option.value, self.low, self.high)


class Section(models.Model):
    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=150)
    weight = models.FloatField(default=1.0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=64, help_text="Stable across versions.")
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    weight = models.FloatField(default=1.0)
    critical = models.BooleanField(default=False)
    allow_na = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def latest_names() -> dict[str, str]:
        """Criterion key → its name in the latest scorecard version that has it (criteria are
        matched across versions by key)."""

        def read() -> dict[str, str]:
            rows = Criterion.objects.order_by("section__version__number", "pk")
            return dict(rows.values_list("key", "name"))

        return dict(configured.kept("criterion-names", read))

    @staticmethod
    def placed(fresh: bool = False) -> dict[int, tuple[str, str]]:
        """Criterion id → (its scorecard's name, its key); `fresh`: read now, not kept (a
        request's kept reads are those of its first stamp, and a criterion published since
        is not in them)."""

        def read() -> dict[int, tuple[str, str]]:
            rows = Criterion.objects.values_list("pk", "section__version__scorecard__name", "key")
            return {pk: (scorecard, key) for pk, scorecard, key in rows}

        return read() if fresh else configured.kept("criterion-places", read)

    def scale_bounds(self) -> tuple[float, float]:
        return bounds_of([option.value for option in self.options.all()])

    def score_of(self, option: RatingOption | None) -> float | None:
        """The criterion score (0–100) of a rating option; None for N/A."""
        return None if option is None else criterion_score(option.value, *self.scale_bounds())


class RatingOption(models.Model):
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=100)
    value = models.FloatField(help_text="0–100")
    description = models.TextField(blank=True, help_text="What this rating means.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=0, value__lte=100), name="option_value_0_100"
            )
        ]

    def __str__(self) -> str:
        return self.label


class RootCauseOption(models.Model):
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="root_causes")
    label = models.CharField(max_length=150)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label
