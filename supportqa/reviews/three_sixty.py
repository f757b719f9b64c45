"""The 360° view: each criterion as each source rated it (self, peer, lead or manager, QA,
AutoQA, later mystery shoppers), and how far each source sits from the others."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet, Sum

from supportqa.core.appraisal import source_gaps
from supportqa.core.intervals import Estimate, clip, mean_interval_from_sums
from supportqa.reviews.models import Rating, Review, Source
from supportqa.scorecards.models import Criterion

SOURCE_ORDER = (Source.SELF, Source.PEER, Source.MANAGER, Source.QA, Source.AUTOQA,
                Source.MYSTERY_SHOP)  # fmt: skip
LABELS = {**dict(Source.choices), Source.MANAGER: "Lead or manager"}


@dataclass
class ThreeSixty:
    sources: list[tuple[str, str]]  # (source, label) of the sources present, in SOURCE_ORDER
    rows: list[tuple[str, dict[str, Estimate]]]  # criterion name, source → mean score (0–100)
    gaps: dict[str, float | None]  # source → mean points above (+) or below the others
    overall: dict[str, Estimate]  # source → mean review score (0–100), each on its own form

    @property
    def compared(self) -> bool:
        return len(self.sources) > 1


def three_sixty(reviews: QuerySet[Review]) -> ThreeSixty:
    """From these reviews (scored, calibration ones aside): per criterion key (matched across
    scorecard versions) and source, the mean criterion score with its interval, from n, Σx
    and Σx² aggregated in the database."""
    rows = (
        Rating.objects.filter(
            review__in=reviews.scored().filter(calibration_session__isnull=True), is_na=False
        )
        .values_list("criterion__key", "review__source")
        .annotate(n=Count("score"), total=Sum("score"), squares=Sum(F("score") * F("score")))
        .order_by()
    )
    table: dict[str, dict[str, Estimate]] = defaultdict(dict)
    for key, source, n, total, squares in rows:
        if n:
            table[key][source] = mean_interval_from_sums(n, total, squares)
    overall = {
        source: clip(mean_interval_from_sums(n, total, squares), 0.0, 100.0)
        for source, n, total, squares in reviews.scored()
        .filter(calibration_session__isnull=True, final_score__isnull=False)
        .values_list("source")
        .annotate(
            n=Count("final_score"),
            total=Sum("final_score"),
            squares=Sum(F("final_score") * F("final_score")),
        )
        .order_by()
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
