"""Does a scorecard measure what matters? Which criteria predict the customer's outcome, and
which hardly discriminate at all.

- Spread: per criterion, the share of ratings on its top option (a ceiling effect) and on its
  bottom option (a floor effect); a criterion with at least MOST_ON_ONE of its ratings on one
  option hardly tells conversations apart, and one with every rating on one option never does.
- Prediction: a logistic regression of an outcome (satisfied with the survey, reopened,
  resolved at first contact) on every discriminating criterion's score at once (0 = its lowest
  option, 1 = its highest; a conversation reviewed twice takes the mean), so each criterion's
  effect is net of the others. Reported as the average marginal effect of going from the
  lowest to the highest rating, in percentage points of the outcome, with its 95% interval
  (delta method, statsmodels). Fitted only with at least EVENTS_PER_TERM of the rarer outcome
  per criterion (Peduzzi et al. 1996, J Clin Epidemiol 49:1373 — fewer events give unstable
  and biased coefficients), and only on conversations with every criterion rated.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MOST_ON_ONE = 0.9
EVENTS_PER_TERM = 10


@dataclass(frozen=True)
class Spread:
    ratings: int
    top: float  # share on the highest option
    bottom: float  # share on the lowest option
    most: float  # share on the most used option

    @property
    def verdict(self) -> str:
        if self.ratings == 0:
            return "no ratings"
        if self.most == 1.0:
            return "never discriminates"
        if self.most >= MOST_ON_ONE:
            return "hardly discriminates"
        if self.top >= 0.5:
            return "ceiling effect"
        if self.bottom >= 0.5:
            return "floor effect"
        return ""


def spread(values: Sequence[float], low: float, high: float) -> Spread:
    """The option values given to one criterion; `low` and `high` its lowest and highest."""
    if not values:
        return Spread(0, 0.0, 0.0, 0.0)
    counts: dict[float, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    n = len(values)
    return Spread(n, counts.get(high, 0) / n, counts.get(low, 0) / n, max(counts.values()) / n)


@dataclass(frozen=True)
class Effect:
    criterion: str
    value: float  # change in the outcome's probability, lowest → highest rating, in points
    low: float
    high: float
    p_value: float

    @property
    def clear(self) -> bool:
        """The interval excludes zero."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Prediction:
    outcome: str
    conversations: int  # with the outcome known and every criterion rated
    events: int  # the rarer outcome's count
    effects: list[Effect]
    problem: str  # why there is no model ("" when there is one)


def predict(
    outcome: str, rows: Sequence[tuple[Mapping[str, float], bool]], criteria: Sequence[str]
) -> Prediction:
    """rows: (criterion key → score 0–1, outcome) per conversation; criteria: the keys to use
    (those that discriminate)."""
    complete = [(scores, y) for scores, y in rows if all(c in scores for c in criteria)]
    positives = sum(1 for _, y in complete if y)
    events = min(positives, len(complete) - positives)
    if not criteria:
        return Prediction(outcome, len(complete), events, [], "no criterion discriminates")
    needed = EVENTS_PER_TERM * len(criteria)
    if events < needed:
        return Prediction(
            outcome,
            len(complete),
            events,
            [],
            f"needs {needed} conversations with the rarer outcome, has {events}",
        )
    return _fit(outcome, complete, list(criteria), events)


def _fit(
    outcome: str, complete: list[tuple[Mapping[str, float], bool]], criteria: list[str], events: int
) -> Prediction:
    import statsmodels.api as sm  # imported here: a heavy import only this analysis needs
    from statsmodels.tools import sm_exceptions

    x = sm.add_constant(np.array([[scores[c] for c in criteria] for scores, _ in complete]))
    y = np.array([1.0 if outcome_value else 0.0 for _, outcome_value in complete])
    try:
        with warnings.catch_warnings():
            # Separation (a criterion alone decides the outcome) or no convergence: the
            # coefficients run off to infinity and no interval means anything.
            warnings.simplefilter("error", sm_exceptions.PerfectSeparationWarning)
            warnings.simplefilter("error", sm_exceptions.ConvergenceWarning)
            result = sm.Logit(y, x).fit(disp=False, maxiter=200)
            margins = result.get_margeff(at="overall", method="dydx")
    except (
        sm_exceptions.PerfectSeparationError,
        sm_exceptions.PerfectSeparationWarning,
        sm_exceptions.ConvergenceWarning,
        np.linalg.LinAlgError,
    ):
        reason = "cannot be estimated: some criteria decide the outcome on their own"
        return Prediction(outcome, len(complete), events, [], reason)
    intervals = margins.conf_int(alpha=0.05)
    effects = [
        Effect(
            criterion,
            100 * float(margins.margeff[i]),
            100 * float(intervals[i][0]),
            100 * float(intervals[i][1]),
            float(margins.pvalues[i]),
        )
        for i, criterion in enumerate(criteria)
    ]
    if not all(math.isfinite(e.low) and math.isfinite(e.high) for e in effects):
        return Prediction(outcome, len(complete), events, [], "cannot be estimated (separation)")
    return Prediction(outcome, len(complete), events, effects, "")
