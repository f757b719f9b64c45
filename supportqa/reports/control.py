"""Which weekly movements of a dashboard's KPIs are real changes: each KPI on its control chart
(formulas and rules in `supportqa.core.control`), full weeks only.

A partial first or last week would look like a drop in volume that is not one, so only the
weeks the period covers whole are points. Weeks without data for a KPI (no reviews, no survey
answers) are left out of that KPI's chart rather than drawn as zero.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings

from supportqa.core import control, kpis
from supportqa.core.scoring import passed
from supportqa.reports.periods import week_start


@dataclass(frozen=True)
class Watched:
    """One KPI on its control chart; `chart` is None when there are too few weeks."""

    name: str
    unit: str  # "%", " min", or "" for counts
    weeks: list[date]  # the Monday of each point
    chart: control.Chart | None
    scale: float = 1.0  # multiplies stored values for display (rates are stored 0–1)
    digits: int = 1  # decimals shown
    every: str = "week"  # what a point is: "week" (its Monday in `weeks`) or "day"

    @property
    def latest(self) -> dict[str, float] | None:
        """The last week's value and its limits, in the unit shown."""
        if self.chart is None:
            return None
        point = self.chart.points[-1]
        return {
            "value": point.value * self.scale,
            "lower": point.lower * self.scale,
            "upper": point.upper * self.scale,
        }

    @property
    def shortfall(self) -> int:
        return max(0, control.MINIMUM_POINTS - len(self.weeks))

    def when(self, signal: control.Signal) -> str:
        first, last = self.weeks[signal.first], self.weeks[signal.last]
        if self.every == "day":
            if first == last:
                return f"{first:%-d %b %Y}"
            return f"{first:%-d %b} to {last:%-d %b %Y}"
        if first == last:
            return f"Week of {first:%-d %b %Y}"
        return f"Weeks of {first:%-d %b} to {last:%-d %b %Y}"

    def findings(self) -> list[tuple[str, str]]:
        """(when, what) of each episode of signals, latest first."""
        if self.chart is None:
            return []
        return [(self.when(s), s.explanation) for s in self.chart.episodes()]


def full_weeks(weeks: list[tuple[date, datetime, datetime]]) -> list[date]:
    return [monday for monday, start, end in weeks if end - start == timedelta(days=7)]


def watch(
    weeks: list[tuple[date, datetime, datetime]],
    created: list[tuple[date, dict[str, Any]]],
    csat: list[tuple[date, dict[str, Any]]],
    review_rows: list[tuple[Any, ...]],
) -> list[Watched]:
    """IQS, pass rate, CSAT, first response time and volume, each on its chart.

    created: per week n (conversations), frt_n and frt_sum (first response seconds);
    csat: per week n (answers) and top (satisfied); review_rows: (submitted_at, final score,
    inclusion probability, pass threshold) of the reviews counting toward IQS."""
    whole = set(full_weeks(weeks))
    rules = settings.SUPPORTQA_CONTROL_RULES
    iqs, passes = _review_series(review_rows, whole)
    answers = [(w, row["top"] / row["n"], row["n"]) for w, row in csat if w in whole and row["n"]]
    frt = [
        (w, row["frt_sum"] / row["frt_n"] / 60, row["frt_n"])
        for w, row in created
        if w in whole and row["frt_n"]
    ]
    return [
        _laney("IQS", "%", iqs, rules, highest=100.0),
        _laney("Pass rate", "%", passes, rules, highest=1.0, scale=100.0),
        _laney("CSAT", "%", answers, rules, highest=1.0, scale=100.0),
        _laney("First response time", " min", frt, rules, digits=0),
        _volume([(w, float(row["n"])) for w, row in created if w in whole], rules),
    ]


_Series = list[tuple[date, float | None, int]]  # (Monday, value, cases)


def _review_series(review_rows: list[tuple[Any, ...]], whole: set[date]) -> tuple[_Series, _Series]:
    """Weekly IQS and pass rate, each with the week's number of reviews."""
    iqs, passes = [], []
    for week, (scores, probabilities, passing) in sorted(
        _reviews_by_week(review_rows, whole).items()
    ):
        iqs.append((week, kpis.iqs(scores, probabilities).value, len(scores)))
        passes.append((week, passing / len(scores), len(scores)))
    return iqs, passes


def _volume(series: list[tuple[date, float]], rules: str) -> Watched:
    """Weekly conversations from the first week that had any."""
    series = control.since_data_began(series, lambda week: week[1])
    chart = None
    if len(series) >= control.MINIMUM_POINTS:
        chart = control.individuals_chart([v for _, v in series], rules, lowest=0.0)
    return Watched("Conversations", "", [w for w, _ in series], chart, digits=0)


def _reviews_by_week(
    review_rows: list[tuple[Any, ...]], whole: set[date]
) -> dict[date, tuple[list[float], list[float], int]]:
    """Per full week: the scores, their inclusion probabilities and how many passed."""
    scores: dict[date, list[float]] = defaultdict(list)
    probabilities: dict[date, list[float]] = defaultdict(list)
    passing: dict[date, int] = defaultdict(int)
    for submitted_at, score, probability, threshold, *_ in review_rows:
        week = week_start(submitted_at)
        if week not in whole:
            continue
        scores[week].append(score)
        probabilities[week].append(probability)
        passing[week] += passed(score, threshold)
    return {w: (scores[w], probabilities[w], passing[w]) for w in scores}


def _laney(
    name: str,
    unit: str,
    series: list[tuple[date, float | None, int]],
    rules: str,
    *,
    highest: float = math.inf,
    scale: float = 1.0,
    digits: int = 1,
) -> Watched:
    """A weekly rate or mean over a varying number of cases: Laney's chart (see core)."""
    usable = [(w, v, n) for w, v, n in series if v is not None and math.isfinite(v) and n > 0]
    chart = None
    if len(usable) >= control.MINIMUM_POINTS:
        chart = control.laney_chart(
            [v for _, v, _ in usable],
            [n for _, _, n in usable],
            rules,
            lowest=0.0,
            highest=highest,
        )
    return Watched(name, unit, [w for w, _, _ in usable], chart, scale, digits)
