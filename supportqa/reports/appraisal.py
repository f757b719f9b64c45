"""Agent standings: every figure with n and interval, shrunk estimates for ordering, and
"above/below average" only where the interval allows it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, FloatField, Max, Min, QuerySet, Sum, Value, Window

from supportqa.accounts.models import User
from supportqa.core import kpis
from supportqa.core.appraisal import Comparison, compare, shrink
from supportqa.core.intervals import Estimate
from supportqa.core.leniency import Offset, overlapping, reviewer_offsets
from supportqa.core.sampling import pooled_sd
from supportqa.reports import memo
from supportqa.reports.metrics import scored_reviews
from supportqa.reports.periods import Period
from supportqa.reviews.access import reviews_for
from supportqa.reviews.models import Review


@dataclass
class Standing:
    agent: User
    iqs: Estimate
    adjusted: Estimate  # corrected for who reviewed (reviewer offsets), beside the raw IQS
    shrunk: float | None
    comparison: Comparison
    average: float | None


def standings(user: User, agents: list[User], period: Period) -> list[Standing]:
    """The standings of these agents (of `agents_for(user)`), from the reviews `user` may
    read that count toward IQS and were submitted in the period (the agents page and the
    leads' home). The database sums each agent's scores per reviewer (`score_sums`); only
    the conversations reviewed twice, which fit the reviewer offsets, are read as rows."""
    reviews = scored_reviews(reviews_for(user), period).filter(reviewee__in=[a.pk for a in agents])
    sums = score_sums(reviews, "reviewee_id", "reviewer_id")
    offsets = offsets_of(twice_reviewed(reviews))
    raw: dict[int, kpis.ScoreSums] = defaultdict(kpis.ScoreSums)
    fair: dict[int, kpis.ScoreSums] = defaultdict(kpis.ScoreSums)
    for (agent_id, reviewer), group in sums.items():
        raw[agent_id] += group
        offset = offsets.get(reviewer)
        fair[agent_id] += group.shifted(offset.value) if offset else group
    return appraisal_sums(agents, raw, fair)


def appraisal_sums(
    agents: list[User], raw: dict[int, kpis.ScoreSums], fair: dict[int, kpis.ScoreSums]
) -> list[Standing]:
    """Standings from each agent's score sums (`raw`) and the same corrected by reviewer
    offsets (`fair`)."""
    empty = kpis.ScoreSums()
    estimates = {a.pk: kpis.iqs_from_sums(raw.get(a.pk, empty)) for a in agents}
    adjusted = {a.pk: kpis.iqs_from_sums(fair.get(a.pk, empty)) for a in agents}
    every = sum(raw.values(), empty)
    average = every.total / every.n if every.n else None
    sd = pooled_sd((g.n, g.within_squares) for g in raw.values())
    shrunk = _shrunk(estimates, sd)
    standings = [
        Standing(
            agent=a,
            iqs=estimates[a.pk],
            adjusted=adjusted[a.pk],
            shrunk=shrunk.get(a.pk),
            comparison=compare(estimates[a.pk], average, sd)
            if average is not None
            else Comparison("insufficient data"),
            average=average,
        )
        for a in agents
    ]
    # Shrunk estimates order the table: a lucky handful of reviews does not top it.
    return sorted(standings, key=lambda s: (s.shrunk is None, -(s.shrunk or 0.0)))


def score_sums(reviews: QuerySet[Review], *keys: str) -> dict[tuple[Any, ...], kpis.ScoreSums]:
    """`kpis.ScoreSums` of these (scored) reviews' final scores, grouped by `keys`, summed
    by the database."""
    score = F("final_score")
    weight = Value(1.0) / F("inclusion_probability")
    weight_squared = weight * weight
    rows = (
        reviews.order_by()
        .values_list(*keys)
        .annotate(
            n=Count("pk"),
            least=Min("inclusion_probability"),
            most=Max("inclusion_probability"),
            total=Sum(score),
            squares=Sum(score * score),
            weights=Sum(weight, output_field=FloatField()),
            weighted=Sum(score * weight, output_field=FloatField()),
            weight_squares=Sum(weight_squared, output_field=FloatField()),
            weighted_by_squares=Sum(score * weight_squared, output_field=FloatField()),
            squares_by_squares=Sum(score * score * weight_squared, output_field=FloatField()),
        )
    )
    width = len(keys)
    return {tuple(row[:width]): kpis.ScoreSums(*row[width:]) for row in rows}


def twice_reviewed(reviews: QuerySet[Review]) -> list[tuple[int, int, float]]:
    """(conversation, reviewer, score) of these reviews whose conversation two or more
    reviewers reviewed among them: what identifies the reviewer offsets."""
    by_conversation = [F("conversation_id")]
    return list(
        reviews.filter(reviewer__isnull=False)
        .order_by()
        .annotate(
            first=Window(Min("reviewer_id"), partition_by=by_conversation),
            last=Window(Max("reviewer_id"), partition_by=by_conversation),
        )
        .filter(first__lt=F("last"))
        .values_list("conversation_id", "reviewer_id", "final_score")
    )


def offsets_of(reviews: Iterable[tuple[int, int, float]]) -> dict[Hashable, Offset]:
    """Reviewer offsets (`core.leniency`) from (conversation, reviewer, score) rows. Only the
    conversations reviewed by two or more reviewers identify them, so only those are fitted,
    and the fit is remembered for identical rows (`reports.memo`): a page view refits only
    after those reviews changed. The agents', leads' and reviewers' pages all use this."""
    rows = sorted(overlapping(list(reviews)))
    return memo.remembered("leniency", rows, lambda: reviewer_offsets(rows))


def _shrunk(estimates: dict[int, Estimate], sd: float | None) -> dict[int, float]:
    """Reviewed agents' IQS shrunk towards the mean by how few reviews each has."""
    reviewed = [pk for pk, estimate in estimates.items() if estimate.n]
    values = shrink(
        [estimates[pk].value or 0.0 for pk in reviewed],
        [estimates[pk].n for pk in reviewed],
        sd * sd if sd else 0.0,
    )
    return dict(zip(reviewed, values, strict=True))
