"""Shewhart control charts: is a movement in a trend a real change, or the noise every process
makes from week to week?

- p-chart, for rates (pass rate, CSAT %): each point is xᵢ/nᵢ; centre p̄ = Σx / Σn; the point's
  own σᵢ = √(p̄(1 − p̄)/nᵢ), so a week with fewer reviews gets wider limits; limits p̄ ± 3σᵢ,
  the lower one not below 0 and the upper not above 1.
- Individuals chart (X–mR), for one measurement per period (IQS, first response time,
  volume): centre x̄; σ estimated from the mean moving range of two, MR̄/d₂ with d₂ = 1.128, so a
  drift does not inflate it as the standard deviation would; limits x̄ ± 3·MR̄/d₂. The moving-
  range chart's upper limit is D₄·MR̄ with D₄ = 3.267.

- Laney's chart (Laney 2002, "Improved control charts for attributes", Quality Engineering
  14(4)), for a rate or a mean per period over a varying number of cases (the product's rates,
  IQS and first response time): each point's distance from the centre is put on one scale,
  zᵢ = √nᵢ·(vᵢ − c) with c the n-weighted mean, σ_z = mean moving range of the z's / d₂, and the
  limits are c ± 3·σ_z/√nᵢ. A week with few cases still gets wider limits, as on a p-chart; but
  where weeks differ by more than the binomial (or within-week) spread says, as they do at tens
  of thousands of conversations a week, the limits widen with them instead of flagging nearly
  every week. With the binomial spread alone it matches the p-chart on average; with equal nᵢ
  it is the individuals chart of the values.

Limits come from the points shown (a retrospective, "phase I" chart; Montgomery, Introduction to
Statistical Quality Control, ch. 6–7), revised once as Montgomery revises trial limits: the
points beyond the trial limits are left out and the limits estimated again from the rest, so a
large recent change does not widen the very limits it is judged against. (The individuals
chart then uses the moving ranges between neighbouring points that are both kept.) Every point
is judged against the revised limits. Signals follow one of two documented rule sets:

- Western Electric (1956), the default: 1. a point beyond 3σ; 5. two of three points in a row
  beyond 2σ on one side; 6. four of five beyond 1σ on one side; 2. eight in a row on one side.
- Nelson (1984), all eight: 1. a point beyond 3σ; 2. nine in a row on one side; 3. six in a row
  steadily rising or falling; 4. fourteen in a row alternating up and down; 5. two of three
  beyond 2σ on one side; 6. four of five beyond 1σ on one side; 7. fifteen in a row within 1σ
  (less variation than the limits assume); 8. eight in a row beyond 1σ, either side.

Rules are numbered as Nelson numbers them in both sets. Each extra rule catches smaller shifts
and raises false alarms: with the four Western Electric rules an in-control process gives a
false signal about once in 92 points, so a quarter of weekly points gives roughly a one-in-seven
chance of one somewhere on the chart; the explanation says which rule fired so a reader can
weigh it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

D2 = 1.128  # the expected range of two normal observations, in σ
D4 = 3.267  # the moving-range chart's upper limit factor for ranges of two

MINIMUM_POINTS = 8  # fewer points cannot estimate the limits, nor show a run


@dataclass(frozen=True)
class Point:
    value: float
    centre: float
    sigma: float  # this point's own σ (on a p-chart it depends on the point's n)
    lowest: float = -math.inf  # the measure cannot go below (0 for rates and counts)
    highest: float = math.inf

    @property
    def upper(self) -> float:
        return min(self.centre + 3 * self.sigma, self.highest)

    @property
    def lower(self) -> float:
        return max(self.centre - 3 * self.sigma, self.lowest)

    @property
    def z(self) -> float:
        """Distance from the centre in σ (±∞ off a centre with no variation, 0 on it)."""
        gap = self.value - self.centre
        if self.sigma > 0:
            return gap / self.sigma
        return 0.0 if gap == 0 else math.copysign(math.inf, gap)


@dataclass(frozen=True)
class Signal:
    rule: int  # Nelson's number
    first: int  # index of the first point of the run that fired
    last: int  # index of the last
    direction: str  # "up", "down", or "" (rules 4, 7 and 8)

    @property
    def explanation(self) -> str:
        return RULES[self.rule].explain(self.direction)


@dataclass(frozen=True)
class Chart:
    kind: str  # "p", "individuals" or "laney"
    points: tuple[Point, ...]
    signals: tuple[Signal, ...]
    moving_range_limit: float | None = None  # individuals charts only
    rule_set: str = "western-electric"
    excluded: tuple[int, ...] = ()  # points beyond the trial limits, left out of the revised

    @property
    def centre(self) -> float:
        return self.points[0].centre

    def flagged(self) -> set[int]:
        """Indexes of the points inside a signalled run."""
        return {i for s in self.signals for i in range(s.first, s.last + 1)}

    def episodes(self) -> list[Signal]:
        """One signal per change: signals in the same direction whose runs overlap or touch
        are one episode, named by its strongest rule (beyond the limits first) and spanning
        all of them; latest first."""
        merged: list[Signal] = []
        for signal in sorted(self.signals, key=lambda s: (s.direction, s.first)):
            last = merged[-1] if merged else None
            if last and last.direction == signal.direction and signal.first <= last.last + 1:
                rule = min(last.rule, signal.rule, key=STRENGTH.index)
                merged[-1] = Signal(rule, last.first, max(last.last, signal.last), last.direction)
            else:
                merged.append(signal)
        return sorted(merged, key=lambda s: (-s.last, STRENGTH.index(s.rule)))


@dataclass(frozen=True)
class Rule:
    length: int  # points in the window the rule looks at
    fires: Callable[[Sequence[Point]], str | None]  # the direction when it fires, else None
    text: str  # {side} is "above" or "below"; {way} "rising" or "falling"
    # For "k of m" rules: the σ a point must be beyond to count. A signal then runs from the
    # first counted point to the last, not over the whole window.
    beyond: float | None = None

    def counts(self, point: Point, direction: str) -> bool:
        if self.beyond is None:
            return True
        return point.z > self.beyond if direction == "up" else point.z < -self.beyond

    def explain(self, direction: str) -> str:
        side = "above" if direction == "up" else "below"
        way = "rising" if direction == "up" else "falling"
        return self.text.format(side=side, way=way)


def _k_of_m(k: int, m: int, threshold: float, text: str) -> Rule:
    """At least k of m points in a row beyond `threshold` σ on the same side."""

    def fires(window: Sequence[Point]) -> str | None:
        if sum(p.z > threshold for p in window) >= k:
            return "up"
        if sum(p.z < -threshold for p in window) >= k:
            return "down"
        return None

    return Rule(m, fires, text, beyond=threshold)


def _one_side(window: Sequence[Point]) -> str | None:
    if all(p.z > 0 for p in window):
        return "up"
    if all(p.z < 0 for p in window):
        return "down"
    return None


def _trend(window: Sequence[Point]) -> str | None:
    steps = [b.value - a.value for a, b in zip(window, window[1:], strict=False)]
    if all(s > 0 for s in steps):
        return "up"
    if all(s < 0 for s in steps):
        return "down"
    return None


def _alternating(window: Sequence[Point]) -> str | None:
    steps = [b.value - a.value for a, b in zip(window, window[1:], strict=False)]
    if all(s != 0 for s in steps) and all(
        (a > 0) != (b > 0) for a, b in zip(steps, steps[1:], strict=False)
    ):
        return ""
    return None


def _hugging(window: Sequence[Point]) -> str | None:
    return "" if all(abs(p.z) < 1 and p.sigma > 0 for p in window) else None


def _avoiding_centre(window: Sequence[Point]) -> str | None:
    return "" if all(abs(p.z) > 1 for p in window) else None


RULES: dict[int, Rule] = {
    1: _k_of_m(1, 1, 3, "{side} the control limits: a real change rather than noise"),
    2: Rule(9, _one_side, "nine points in a row {side} the centre line: the level has shifted"),
    3: Rule(6, _trend, "six points in a row steadily {way}: a trend"),
    4: Rule(
        14,
        _alternating,
        "fourteen points in a row alternating up and down: two alternating sources, such as "
        "two shifts or two reviewers",
    ),
    5: _k_of_m(2, 3, 2, "two of three points in a row far {side} the centre line: a shift"),
    6: _k_of_m(4, 5, 1, "four of five points in a row {side} the centre line: a small shift"),
    7: Rule(
        15,
        _hugging,
        "fifteen points in a row close to the centre line: less variation than expected, "
        "perhaps mixed data or limits from another period",
    ),
    8: Rule(
        8,
        _avoiding_centre,
        "eight points in a row away from the centre line on either side: a mixture of two levels",
    ),
}

# Which rule names an episode that several rules flag: the plainest evidence first.
STRENGTH = (1, 5, 6, 2, 3, 8, 4, 7)

# Western Electric's run rule is eight in a row on one side; Nelson's is nine.
_EIGHT_ON_ONE_SIDE = Rule(
    8, _one_side, "eight points in a row {side} the centre line: the level has shifted"
)
RULE_SETS: dict[str, dict[int, Rule]] = {
    "western-electric": {1: RULES[1], 5: RULES[5], 6: RULES[6], 2: _EIGHT_ON_ONE_SIDE},
    "nelson": RULES,
}


def signals(points: Sequence[Point], rule_set: str = "western-electric") -> list[Signal]:
    """Every run of points that a rule of the set flags; overlapping windows of one rule in
    one direction make a single signal."""
    if rule_set not in RULE_SETS:
        raise ValueError(f"unknown rule set {rule_set!r}; known: {', '.join(RULE_SETS)}")
    found: list[Signal] = []
    for number, rule in RULE_SETS[rule_set].items():
        found.extend(_runs(points, number, rule))
    return sorted(found, key=lambda s: (s.first, s.rule))


def _runs(points: Sequence[Point], number: int, rule: Rule) -> list[Signal]:
    runs: list[Signal] = []
    for end in range(rule.length - 1, len(points)):
        start = end - rule.length + 1
        direction = rule.fires(points[start : end + 1])
        if direction is None:
            continue
        while not rule.counts(points[start], direction):
            start += 1
        last = end
        while not rule.counts(points[last], direction):
            last -= 1
        previous = runs[-1] if runs else None
        if previous and previous.direction == direction and previous.last >= start - 1:
            runs[-1] = Signal(number, previous.first, max(previous.last, last), direction)
        else:
            runs.append(Signal(number, start, last, direction))
    return runs


def since_data_began(periods: Sequence[T], count: Callable[[T], float]) -> list[T]:
    """The periods from the first with a nonzero count. Those before it are not periods
    without work but before the data began; their zeros would pull the limits down and make
    every later period a change."""
    first = next((i for i, period in enumerate(periods) if count(period)), len(periods))
    return list(periods[first:])


def p_chart(
    counts: Sequence[tuple[int, int]], rule_set: str = "western-electric", *, revise: bool = True
) -> Chart:
    """A p-chart of (events, trials) per period; periods with no trials are not points.
    `revise=False` gives the trial limits."""
    usable = [(x, n) for x, n in counts if n > 0]
    if any(x < 0 or x > n for x, n in usable):
        raise ValueError("each period needs 0 ≤ events ≤ trials")
    if len(usable) < MINIMUM_POINTS:
        raise ValueError(f"a control chart needs at least {MINIMUM_POINTS} periods")

    def points_around(kept: Sequence[int]) -> tuple[Point, ...]:
        centre = sum(usable[i][0] for i in kept) / sum(usable[i][1] for i in kept)
        return tuple(
            Point(x / n, centre, math.sqrt(centre * (1 - centre) / n), 0.0, 1.0) for x, n in usable
        )

    points, excluded = _revised(points_around, len(usable), revise)
    return Chart("p", points, tuple(signals(points, rule_set)), None, rule_set, excluded)


def individuals_chart(
    values: Sequence[float],
    rule_set: str = "western-electric",
    *,
    lowest: float = -math.inf,
    highest: float = math.inf,
    revise: bool = True,
) -> Chart:
    """An individuals chart of one value per period (`lowest`: what the measure cannot go
    below, 0 for times and counts, which clips the lower limit; `highest` likewise, 100 for a
    score; `revise=False` gives the trial limits). It is Laney's chart with every size 1."""
    points, excluded = _standardized(values, [1] * len(values), lowest, highest, revise)
    moving_range = points[0].sigma * D2
    return Chart(
        "individuals",
        points,
        tuple(signals(points, rule_set)),
        D4 * moving_range,
        rule_set,
        excluded,
    )


def _revised(
    points_around: Callable[[Sequence[int]], tuple[Point, ...]], count: int, revise: bool
) -> tuple[tuple[Point, ...], tuple[int, ...]]:
    """Points judged against limits revised once without the points beyond the trial limits
    (kept as they are when too few points would remain)."""
    everything = range(count)
    trial = points_around(everything)
    beyond = tuple(i for i, p in enumerate(trial) if abs(p.z) > 3)
    if not revise or not beyond or count - len(beyond) < MINIMUM_POINTS:
        return trial, ()
    return points_around([i for i in everything if i not in beyond]), beyond


def laney_chart(
    values: Sequence[float],
    sizes: Sequence[float],
    rule_set: str = "western-electric",
    *,
    lowest: float = -math.inf,
    highest: float = math.inf,
    revise: bool = True,
) -> Chart:
    """Laney's chart of per-period values (rates 0–1, or means) over `sizes` cases each."""
    points, excluded = _standardized(values, sizes, lowest, highest, revise)
    return Chart("laney", points, tuple(signals(points, rule_set)), None, rule_set, excluded)


def _standardized(
    values: Sequence[float], sizes: Sequence[float], lowest: float, highest: float, revise: bool
) -> tuple[tuple[Point, ...], tuple[int, ...]]:
    """Points around the size-weighted mean, with σᵢ = σ_z/√nᵢ and σ_z from the moving ranges
    of zᵢ = √nᵢ(vᵢ − c) between neighbouring kept points."""
    if len(values) != len(sizes):
        raise ValueError("one size per value")
    if len(values) < MINIMUM_POINTS:
        raise ValueError(f"a control chart needs at least {MINIMUM_POINTS} periods")
    if not all(math.isfinite(v) for v in values) or not all(n > 0 for n in sizes):
        raise ValueError("values must be finite numbers and sizes positive")
    roots = [math.sqrt(n) for n in sizes]

    def points_around(kept: Sequence[int]) -> tuple[Point, ...]:
        centre = math.fsum(values[i] * sizes[i] for i in kept) / math.fsum(sizes[i] for i in kept)
        z = [(v - centre) * r for v, r in zip(values, roots, strict=True)]
        kept_set = set(kept)
        ranges = [abs(z[i] - z[i - 1]) for i in kept if i - 1 in kept_set]
        sigma_z = math.fsum(ranges) / len(ranges) / D2 if ranges else 0.0
        return tuple(
            Point(v, centre, sigma_z / r, lowest, highest)
            for v, r in zip(values, roots, strict=True)
        )

    return _revised(points_around, len(values), revise)
