"""The mystery-shop dashboard's figures: per scenario, the shops' mean score and pass rate, the
mean of each expected behaviour (criterion), and the same per team, each with its 95% interval
(t for means, Wilson for the pass rate), aggregated in the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, QuerySet, Sum

from supportqa.core.intervals import Estimate, clip, mean_interval_from_sums
from supportqa.core.kpis import pass_rate
from supportqa.reviews.models import Rating, Review, Source
from supportqa.shopping.models import Assignment, Scenario


@dataclass
class Figure:
    label: str
    shops: int
    score: Estimate  # mean final score, 0–100
    passed: Estimate  # % of shops that pass the form's pass mark


@dataclass
class ScenarioResult:
    scenario: Scenario
    overall: Figure
    behaviours: list[tuple[str, Estimate]] = field(default_factory=list)  # criterion → mean
    teams: list[Figure] = field(default_factory=list)


def shop_reviews(assignments: QuerySet[Assignment]) -> QuerySet[Review]:
    """The evaluations of these shops (done ones)."""
    return Review.objects.scored().filter(
        source=Source.MYSTERY_SHOP,
        conversation__mystery_shop__in=assignments.filter(state=Assignment.State.DONE),
    )


def results(assignments: QuerySet[Assignment]) -> list[ScenarioResult]:
    reviews = shop_reviews(assignments)
    rows = reviews.values_list(
        "conversation__mystery_shop__scenario_id",
        "conversation__team__name",
        "final_score",
        "scorecard_version__pass_threshold",
    )
    by_scenario: dict[int, list[tuple[str, float, float]]] = defaultdict(list)
    for scenario_id, team, score, threshold in rows:
        by_scenario[scenario_id].append((team or "No team", score, threshold))
    behaviours: dict[int, list[tuple[str, Estimate]]] = defaultdict(list)
    for scenario_id, name, n, total, squares in (
        Rating.objects.filter(review__in=reviews, is_na=False)
        .values_list("review__conversation__mystery_shop__scenario_id", "criterion__name")
        .annotate(n=Count("score"), total=Sum("score"), squares=Sum(F("score") * F("score")))
        .order_by("review__conversation__mystery_shop__scenario_id", "criterion__name")
    ):
        behaviours[scenario_id].append((name, _mean(n, total, squares)))
    scenarios = Scenario.objects.in_bulk(list(by_scenario))
    out = []
    for scenario_id, shops in sorted(by_scenario.items(), key=lambda i: scenarios[i[0]].name):
        teams: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
        for shop in shops:
            teams[shop[0]].append(shop)
        out.append(
            ScenarioResult(
                scenario=scenarios[scenario_id],
                overall=_figure("All teams", shops),
                behaviours=behaviours[scenario_id],
                teams=[_figure(team, teams[team]) for team in sorted(teams)],
            )
        )
    return out


def _mean(n: int, total: float, squares: float) -> Estimate:
    return clip(mean_interval_from_sums(n, total, squares), 0.0, 100.0)


def _figure(label: str, shops: list[tuple[str, float, float]]) -> Figure:
    scores = [score for _, score, _ in shops]
    return Figure(
        label=label,
        shops=len(shops),
        score=_mean(len(scores), sum(scores), sum(s * s for s in scores)),
        passed=pass_rate((score, threshold) for _, score, threshold in shops),
    )
