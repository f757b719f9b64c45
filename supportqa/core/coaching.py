"""Coaching's numbers (PRODUCT.md §3.8): whether a goal is SMART, how it is progressing, and
whether coaching changed anything.

SMART checks (each letter explained when it fails):
  S  a metric SupportQA computes, for the agent (optionally narrowed to a channel or category);
  M  a numeric target inside the metric's scale;
  A  an improvement on the agent's baseline beyond its interval (a target inside it would not
     show a real change), and reached by peers: at most the 90th percentile of the peers'
     values (the best peer's value with fewer than 5 peers);
  R  tied to an area for improvement identified in this or an earlier session;
  T  a due date at least a week and at most a year ahead (data must have time to accrue).

Goal status: met when the current value reaches the target on at least MIN_N observations;
missed when the due date passed without that; on track when the value is at least where a
straight line from the baseline to the target would be by now; at risk otherwise; "not enough
data" below MIN_N observations.

Coaching effect: a difference in differences. For the coached agent, the change of the metric
from the window before the session to the window after; minus the mean change, over the same
windows, of comparable agents not coached on that metric. Its interval treats the coached
agent's own change as one more draw from the comparison agents' changes (exchangeability): the
standard error is s·√(1 + 1/k) with s the standard deviation of the k comparison changes, and
the quantile is Student's t with k − 1 degrees of freedom. Validated by simulation in the
tests (a planted effect is covered in ≥ 90% of repetitions; no effect, the interval covers zero
at about the nominal rate).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from supportqa.core.intervals import Estimate, _t

MIN_PEERS_FOR_PERCENTILE = 5
MIN_N = 5  # observations before a goal's status is said
MIN_COMPARISONS = 3  # comparison agents before an effect is estimated
WIDEST_EFFECT = 40.0  # points: a wider interval says "not enough data"


@dataclass(frozen=True)
class Check:
    letter: str
    ok: bool
    why: str


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    low: float = 0.0
    high: float = 100.0
    higher_is_better: bool = True


def _better(metric: Metric, a: float, b: float) -> bool:
    """a is at least as good as b."""
    return a >= b if metric.higher_is_better else a <= b


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    below, above = math.floor(position), math.ceil(position)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def peer_reach(metric: Metric, peers: Sequence[float]) -> float | None:
    """What peers reach: the 90th percentile of their values in the metric's good direction
    (the best value with fewer than 5 peers); None without peers."""
    if not peers:
        return None
    if len(peers) < MIN_PEERS_FOR_PERCENTILE:
        return max(peers) if metric.higher_is_better else min(peers)
    return _percentile(peers, 0.9 if metric.higher_is_better else 0.1)


def smart(
    metric: Metric | None,
    target: float | None,
    baseline: Estimate,
    peers: Sequence[float],
    areas: set[str],
    due: date | None,
    today: date,
) -> list[Check]:
    """The five checks of a goal, in order S, M, A, R, T."""
    checks = []
    if metric is None:
        checks.append(Check("S", False, "choose the criterion or KPI the goal is about"))
    else:
        checks.append(Check("S", True, f"{metric.label}, for this agent"))
    if metric is None or target is None:
        checks.append(Check("M", False, "give the target as a number"))
    elif not metric.low <= target <= metric.high:
        checks.append(Check("M", False, f"the target {target:g} is outside {metric.label}'s "
                                        f"scale ({metric.low:g} to {metric.high:g})"))  # fmt: skip
    else:
        checks.append(Check("M", True, f"{metric.label} reaches {target:g}"))
    checks.append(_achievable(metric, target, baseline, peers))
    if metric is not None and metric.key in areas:
        checks.append(Check("R", True, "tied to an area for improvement identified"))
    else:
        checks.append(Check("R", False, "tie the goal to an area for improvement of this or an "
                                        "earlier session (its criterion or KPI)"))  # fmt: skip
    if due is None:
        checks.append(Check("T", False, "give the due date"))
    elif due < today + timedelta(days=7):
        checks.append(Check("T", False, f"due {due:%d %b %Y}: give at least a week, so the data "
                                        "can show a change"))  # fmt: skip
    elif due > today + timedelta(days=366):
        checks.append(Check("T", False, f"due {due:%d %b %Y}: at most a year ahead"))
    else:
        checks.append(Check("T", True, f"due {due:%d %b %Y}"))
    return checks


def _achievable(
    metric: Metric | None, target: float | None, baseline: Estimate, peers: Sequence[float]
) -> Check:
    if metric is None or target is None:
        return Check("A", False, "needs the metric and the target")
    if baseline.value is None:
        return Check("A", False, f"no baseline: the agent has no {metric.label} in the "
                                 "period prepared, so nothing says the target is within "
                                 "reach")  # fmt: skip
    if not _better(metric, target, baseline.value) or target == baseline.value:
        return Check("A", False, f"not an improvement: the agent's {metric.label} is "
                                 f"{baseline.value:.1f} now")  # fmt: skip
    if baseline.low is not None and baseline.high is not None:
        bound = baseline.high if metric.higher_is_better else baseline.low
        if _better(metric, bound, target):
            return Check("A", False, f"within reach of chance: the agent's {metric.label} is "
                                     f"{baseline.value:.1f} (95% CI {baseline.low:.1f} to "
                                     f"{baseline.high:.1f}), so reaching {target:g} would not "
                                     "show a real change; aim beyond the interval")  # fmt: skip
    reach = peer_reach(metric, peers)
    if reach is None:
        return Check("A", True, "no peers to compare with: check it together")
    if not _better(metric, reach, target):
        who = (
            "the best peer reaches" if len(peers) < MIN_PEERS_FOR_PERCENTILE
            else "the top tenth of peers reach"
        )  # fmt: skip
        return Check("A", False, f"unreachable: {who} {reach:.1f} and the target is "
                                 f"{target:g} ({len(peers)} peers)")  # fmt: skip
    return Check("A", True, f"from {baseline.value:.1f} to {target:g}; the top of "
                            f"{len(peers)} peers reach {reach:.1f}")  # fmt: skip


HALF_WIDTH_FOR_MET = 10.0  # points: "met" as a pattern needs an interval this narrow


def pattern(estimate: Estimate, meets: float) -> str:
    """A criterion's pattern in a period, only where the interval supports it: "exceeded"
    when the whole interval is above the "meets" mark, "below" when it is below, "met" when
    it holds the mark and is at most ±10 points wide, else "" (no pattern to speak of)."""
    if estimate.low is None or estimate.high is None or estimate.value is None:
        return ""
    if estimate.low > meets:
        return "exceeded"
    if estimate.high < meets:
        return "below"
    if (estimate.high - estimate.low) / 2 <= HALF_WIDTH_FOR_MET:
        return "met"
    return ""


@dataclass(frozen=True)
class Progress:
    status: str  # "met", "on track", "at risk", "missed", "not enough data"
    current: Estimate
    expected: float | None  # where the straight line from baseline to target is today


def progress(
    metric: Metric,
    target: float,
    baseline: float | None,
    current: Estimate,
    set_on: date,
    due: date,
    today: date,
) -> Progress:
    """The goal's status today (see the module's docstring)."""
    span = max(1, (due - set_on).days)
    elapsed = min(1.0, max(0.0, (today - set_on).days / span))
    expected = None if baseline is None else baseline + (target - baseline) * elapsed
    if current.value is None or current.n < MIN_N:
        status = "missed" if today > due else "not enough data"
        return Progress(status, current, expected)
    if _better(metric, current.value, target):
        return Progress("met", current, expected)
    if today > due:
        return Progress("missed", current, expected)
    if expected is None or _better(metric, current.value, expected):
        return Progress("on track", current, expected)
    return Progress("at risk", current, expected)


@dataclass(frozen=True)
class Effect:
    estimate: Estimate  # the difference in differences, with its interval
    treated_change: float | None
    comparison_change: float | None
    comparisons: int
    label: str  # "improved", "worsened", "no detectable change", "too uncertain to say",
    # "not enough data"


def did_effect(
    treated_before: float | None,
    treated_after: float | None,
    comparison_changes: Sequence[float],
    *,
    higher_is_better: bool = True,
    confidence: float = 0.95,
) -> Effect:
    """The coaching effect: the coached agent's change minus the comparison agents' mean
    change, with the prediction-style interval of the module's docstring."""
    k = len(comparison_changes)
    if treated_before is None or treated_after is None or k < MIN_COMPARISONS:
        return Effect(Estimate(None, k), None, None, k, "not enough data")
    change = treated_after - treated_before
    mean = statistics.fmean(comparison_changes)
    spread = statistics.stdev(comparison_changes)
    half = _t(confidence, k - 1) * spread * math.sqrt(1 + 1 / k)
    effect = change - mean
    estimate = Estimate(effect, k, effect - half, effect + half)
    if 2 * half > WIDEST_EFFECT:
        label = "too uncertain to say"
    elif effect - half <= 0 <= effect + half:
        label = "no detectable change"
    else:
        up = effect - half > 0
        label = "improved" if up == higher_is_better else "worsened"
    return Effect(estimate, change, mean, k, label)


def pooled(effects: Sequence[Effect], confidence: float = 0.95) -> Estimate:
    """The mean effect of several sessions (a coach's, or all), their intervals combined as
    independent: SE = √(Σ SEᵢ²) / m, with Student's t at the fewest degrees of freedom among
    them (so one session's pooled interval is its own)."""
    usable = [
        e.estimate for e in effects if e.estimate.has_interval and e.estimate.value is not None
    ]
    if not usable:
        return Estimate(None, 0)
    errors = []
    for estimate in usable:
        assert estimate.high is not None and estimate.value is not None
        errors.append((estimate.high - estimate.value) / _t(confidence, max(1, estimate.n - 1)))
    m = len(usable)
    mean = statistics.fmean(e.value for e in usable if e.value is not None)
    # Student's t with the fewest degrees of freedom among the sessions (conservative; one
    # session's interval is its own).
    degrees = max(1, min(e.n - 1 for e in usable))
    half = _t(confidence, degrees) * math.sqrt(sum(se * se for se in errors)) / m
    return Estimate(mean, m, mean - half, mean + half)
