"""The 360° view: each criterion as each source rated it (self, peer, lead or manager, QA,
AutoQA, later mystery shoppers), and how far each source sits from the others."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, QuerySet, Sum

from supportqa.core.appraisal import source_gaps
from supportqa.core.intervals import Estimate, clip, mean_interval_from_sums
from supportqa.reviews.models import Rating, Review, Source
from supportqa.scorecards.models import Criterion

SOURCE_ORDER = (Source.SELF, Source.PEER, Source.MANAGER, Source.QA, Source.AUTOQA,
                Source.MYSTERY_SHOP)  # fmt: skip
LABELS = {**dict(Source.choices), Source.MANAGER: "Lead or manager"}

Sums = tuple[int, float, float]  # n, Σx, Σx²


@dataclass
class SourceSums:
    """One source's sums over an agent's period, read from its rollups."""

    criteria: dict[str, Sums] = field(default_factory=dict)  # criterion key → sums
    overall: Sums = (0, 0.0, 0.0)  # of the review scores


# Sources a higher app keeps daily rollups of (AutoQA registers its own): source → the sums
# of an agent's reviews from it over [start, end). Their reviews are not read row by row.
ROLLED: dict[str, Callable[[Any, datetime, datetime], SourceSums]] = {}


@dataclass
class ThreeSixty:
    sources: list[tuple[str, str]]  # (source, label) of the sources present, in SOURCE_ORDER
    rows: list[tuple[str, dict[str, Estimate]]]  # criterion name, source → mean score (0–100)
    gaps: dict[str, float | None]  # source → mean points above (+) or below the others
    overall: dict[str, Estimate]  # source → mean review score (0–100), each on its own form

    @property
    def compared(self) -> bool:
        return len(self.sources) > 1


def three_sixty(
    reviews: QuerySet[Review],
    rolled: dict[str, SourceSums] | None = None,
    compared_only: bool = False,
    read: Callable[[str, Callable[[QuerySet[Review]], QuerySet[Any]]], list[Any]] | None = None,
) -> ThreeSixty:
    """From these reviews (scored, calibration ones aside): per criterion key (matched across
    scorecard versions) and source, the mean criterion score with its interval, from n, Σx
    and Σx². `rolled`: sources whose sums were read from rollups (`of_agent`), used instead
    of their reviews among `reviews`. `compared_only`: for a page that shows the view only
    when it compares sources, an empty view without further reads when the reviews come
    from fewer than two. `read`: the page's reader of these reviews by statements compiled
    once (`Desk.read_others`), for the first read, which every conversation page makes."""
    rolled = rolled or {}
    # The sources read here named, not the rolled ones excluded: a list lets PostgreSQL read
    # the agent's reviews by (reviewee, source, submitted_at); with a NOT IN it read all of
    # them, AutoQA's too (19,000 for 400 at a million conversations, 58 ms).
    wanted = [source for source in Source.values if source not in rolled]

    def counting(of: QuerySet[Review]) -> QuerySet[Review]:
        return of.scored().filter(calibration_session__isnull=True, source__in=wanted)

    counted = counting(reviews)
    # The reviews first (an index range), then their ratings by id: joined back to the
    # reviews for their source, the planner read every review.
    source_of = dict(
        read(f"360 sources {wanted}", lambda of: counting(of).values_list("pk", "source"))
        if read is not None
        else counted.values_list("pk", "source")
    )
    if compared_only and len(set(source_of.values()) | set(rolled)) < 2:
        return ThreeSixty(sources=[], rows=[], gaps={}, overall={})
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    ratings = Rating.objects.filter(review_id__in=list(source_of), is_na=False, score__isnull=False)
    for review, key, score in ratings.values_list("review_id", "criterion__key", "score"):
        into = sums[key, source_of[review]]
        into[0] += 1
        into[1] += score
        into[2] += score * score
    for source, by_source in rolled.items():
        for key, (n, total, squares) in by_source.criteria.items():
            sums[key, source] = [n, total, squares]
    table: dict[str, dict[str, Estimate]] = defaultdict(dict)
    for (key, source), (n, total, squares) in sums.items():
        if n:
            table[key][source] = mean_interval_from_sums(int(n), total, squares)
    overall_sums = {
        source: (n, total, squares)
        for source, n, total, squares in counted.filter(final_score__isnull=False)
        .values_list("source")
        .annotate(
            n=Count("final_score"),
            total=Sum("final_score"),
            squares=Sum(F("final_score") * F("final_score")),
        )
        .order_by()
    } | {source: by_source.overall for source, by_source in rolled.items()}
    overall = {
        source: clip(mean_interval_from_sums(n, total, squares), 0.0, 100.0)
        for source, (n, total, squares) in overall_sums.items()
        if n
    }
    names = Criterion.latest_names()
    present = {s for by_source in table.values() for s in by_source}
    means = {
        key: {s: e.value for s, e in by_source.items() if e.value is not None}
        for key, by_source in table.items()
    }
    return ThreeSixty(
        sources=[(s.value, LABELS[s]) for s in SOURCE_ORDER if s in present],
        rows=sorted(((names.get(k, k), v) for k, v in table.items()), key=lambda r: r[0]),
        gaps=source_gaps(means),
        overall=overall,
    )


def of_agent(reviews: QuerySet[Review], agent: Any, start: datetime, end: datetime) -> ThreeSixty:
    """An agent's 360° view over [start, end): `reviews` (the agent's that the person may
    read) submitted in it, and the rolled-up sources (AutoQA) of the conversations created in
    it, as their own pages count them."""
    in_period = reviews.filter(submitted_at__gte=start, submitted_at__lt=end)
    return three_sixty(
        in_period, {source: sums(agent, start, end) for source, sums in ROLLED.items()}
    )
