"""KPI formulas of PRODUCT.md §5. Inputs are plain values; every rate carries n and a 95 % CI."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from supportqa.core.intervals import (
    EMPTY,
    Estimate,
    _z,
    beyond_rounding,
    clip,
    mean_interval,
    mean_interval_from_sums,
    weighted_mean_interval,
    weighted_mean_interval_from_sums,
    wilson,
)
from supportqa.core.scoring import passed

# --- quality -----------------------------------------------------------------------------------


def iqs(
    final_scores: Sequence[float],
    inclusion_probabilities: Sequence[float] | None = None,
) -> Estimate:
    """Internal quality score: mean final review score, weighted by 1/π when sampling is unequal."""
    if inclusion_probabilities is None or len(set(inclusion_probabilities)) <= 1:
        return clip(mean_interval(final_scores), 0.0, 100.0)
    if any(not 0 < p <= 1 for p in inclusion_probabilities):
        raise ValueError("inclusion probabilities must lie in (0, 1]")
    weights = [1.0 / p for p in inclusion_probabilities]
    return clip(weighted_mean_interval(final_scores, weights), 0.0, 100.0)


@dataclass(frozen=True)
class ScoreSums:
    """The sufficient statistics of `iqs` over a group of reviews, as a database sums them:
    n, the least and most inclusion probability π, Σy and Σy² of the scores, and with
    w = 1/π: Σw, Σw·y, Σw², Σw²·y and Σw²·y². Groups add; `shifted` gives the sums of
    y − c (a score corrected by its reviewer's offset).

    The interval's spread comes from a difference of sums, so it carries rounding of the
    order of 1e-16 × Σw²y²: the same as `iqs` of the rows to 1e-9 for review scores spread
    by a point or more, further off (1e-5 at worst seen) only for thousands of scores that
    all lie within a thousandth of a point of each other."""

    n: int = 0
    least: float = math.inf
    most: float = -math.inf
    total: float = 0.0
    squares: float = 0.0
    weights: float = 0.0
    weighted: float = 0.0
    weight_squares: float = 0.0
    weighted_by_squares: float = 0.0
    squares_by_squares: float = 0.0

    def __add__(self, other: ScoreSums) -> ScoreSums:
        return ScoreSums(
            self.n + other.n,
            min(self.least, other.least),
            max(self.most, other.most),
            self.total + other.total,
            self.squares + other.squares,
            self.weights + other.weights,
            self.weighted + other.weighted,
            self.weight_squares + other.weight_squares,
            self.weighted_by_squares + other.weighted_by_squares,
            self.squares_by_squares + other.squares_by_squares,
        )

    def shifted(self, c: float) -> ScoreSums:
        """The same reviews' sums of y − c."""
        return ScoreSums(
            self.n,
            self.least,
            self.most,
            self.total - c * self.n,
            self.squares - 2 * c * self.total + c * c * self.n,
            self.weights,
            self.weighted - c * self.weights,
            self.weight_squares,
            self.weighted_by_squares - c * self.weight_squares,
            self.squares_by_squares
            - 2 * c * self.weighted_by_squares
            + c * c * self.weight_squares,
        )

    @property
    def within_squares(self) -> float:
        """Σ(y − ȳ)²."""
        if not self.n:
            return 0.0
        spread = self.squares - self.total * self.total / self.n
        return beyond_rounding(spread, self.squares, self.n)


def iqs_from_sums(sums: ScoreSums) -> Estimate:
    """`iqs` of the reviews these are the sums of: the same estimate, from sums."""
    if sums.n == 0 or sums.least == sums.most:
        return clip(mean_interval_from_sums(sums.n, sums.total, sums.squares), 0.0, 100.0)
    if not 0 < sums.least <= sums.most <= 1:
        raise ValueError("inclusion probabilities must lie in (0, 1]")
    estimate = weighted_mean_interval_from_sums(
        sums.n,
        sums.weights,
        sums.weighted,
        sums.weight_squares,
        sums.weighted_by_squares,
        sums.squares_by_squares,
    )
    return clip(estimate, 0.0, 100.0)


def pass_rate(results: Iterable[tuple[float, float]]) -> Estimate:
    """Share of reviews that pass, from (final score, that review's pass threshold) pairs."""
    pairs = list(results)
    return wilson(sum(1 for s, t in pairs if passed(s, t)), len(pairs)).scaled(100)


# --- customer surveys --------------------------------------------------------------------------


def csat_is_satisfied(score: int, scale: int) -> bool:
    """Top two options: 4–5 of 5, 6–7 of 7."""
    if scale not in (5, 7):
        raise ValueError(f"CSAT scale must be 5 or 7, not {scale}")
    if not 1 <= score <= scale:
        raise ValueError(f"CSAT {score} outside 1..{scale}")
    return score >= scale - 1


def answer_is_positive(
    *, csat: int | None, csat_scale: int, nps: int | None, ces: int | None
) -> bool:
    """Whether a survey's main answer (CSAT if asked, else NPS, else CES) is a good one: CSAT
    in its top two, an NPS promoter (9–10), a CES of 5 or more. A survey page asks what went
    well after a positive answer and what went wrong otherwise."""
    if csat is not None:
        return csat_is_satisfied(csat, csat_scale)
    if nps is not None:
        return nps >= 9
    if ces is not None:
        return ces >= 5
    raise ValueError("a survey answer needs CSAT, NPS or CES")


def bad_answers(
    *,
    csat: int | None,
    csat_scale: int,
    nps: int | None,
    ces: int | None,
    bad_csat: int,
    bad_nps: int,
    bad_ces: int,
) -> list[str]:
    """The answers at or below their bad-score thresholds, described ("CSAT 1 of 5"); a
    survey with any is a bad score to follow up."""
    found = []
    if csat is not None and csat <= bad_csat:
        found.append(f"CSAT {csat} of {csat_scale}")
    if nps is not None and nps <= bad_nps:
        found.append(f"NPS {nps} of 10")
    if ces is not None and ces <= bad_ces:
        found.append(f"CES {ces} of 7")
    return found


def csat_percent(answers: Iterable[tuple[int, int]]) -> Estimate:
    """answers: (score, scale) pairs. Returns % satisfied with a Wilson interval."""
    flags = [csat_is_satisfied(score, scale) for score, scale in answers]
    return wilson(sum(flags), len(flags)).scaled(100)


def csat_mean(answers: Iterable[tuple[int, int]]) -> Estimate:
    """Mean CSAT on a 1–5 basis (7-point answers rescaled linearly)."""
    values = [1 + (score - 1) * 4 / (scale - 1) for score, scale in answers]
    return mean_interval(values)


def nps(scores: Sequence[int], confidence: float = 0.95) -> Estimate:
    """% promoters (9–10) − % detractors (0–6), with the multinomial normal-approximation CI."""
    if any(not 0 <= s <= 10 for s in scores):
        raise ValueError("NPS answers must lie in 0..10")
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return nps_from_counts(promoters, detractors, len(scores), confidence)


def nps_from_counts(
    promoter_count: int, detractor_count: int, n: int, confidence: float = 0.95
) -> Estimate:
    if n == 0:
        return EMPTY
    if promoter_count + detractor_count > n or min(promoter_count, detractor_count) < 0:
        raise ValueError("promoters and detractors must be parts of n")
    promoters, detractors = promoter_count / n, detractor_count / n
    value = (promoters - detractors) * 100
    variance = promoters + detractors - (promoters - detractors) ** 2
    half = _z(confidence) * math.sqrt(max(variance, 0.0) / n) * 100
    if n == 1:
        return Estimate(value, 1)
    return clip(Estimate(value, n, value - half, value + half), -100.0, 100.0)


def ces(scores: Sequence[int]) -> Estimate:
    if any(not 1 <= s <= 7 for s in scores):
        raise ValueError("CES answers must lie in 1..7")
    return clip(mean_interval([float(s) for s in scores]), 1.0, 7.0)


def ces_from_sums(n: int, total: float, total_of_squares: float) -> Estimate:
    """CES from n, Σx and Σx² (database aggregates); the same estimate as `ces`."""
    return clip(mean_interval_from_sums(n, total, total_of_squares), 1.0, 7.0)


def ces_easy_percent(scores: Sequence[int]) -> Estimate:
    return wilson(sum(1 for s in scores if s >= 5), len(scores)).scaled(100)


def response_rate(answered: int, sent: int) -> Estimate:
    if answered > sent:
        raise ValueError(f"{answered} answers for {sent} surveys sent")
    return wilson(answered, sent).scaled(100)


# --- operational -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DurationSummary:
    n: int
    mean: float | None
    median: float | None
    excluded: int = 0  # e.g. unresolved conversations, or conversations without a reply


def summarise_durations(seconds: Iterable[float | None]) -> DurationSummary:
    present: list[float] = []
    missing = 0
    for value in seconds:
        if value is None:
            missing += 1
        else:
            present.append(value)
    if not present:
        return DurationSummary(0, None, None, missing)
    return DurationSummary(
        len(present), statistics.fmean(present), statistics.median(present), missing
    )


def first_response_seconds(
    messages: Iterable[tuple[str, datetime]], created_at: datetime | None = None
) -> float | None:
    """First public agent message − first customer message (or creation). None without a reply.

    messages: (author_kind, sent_at) in any order; author kinds are customer, agent, bot, note.
    """
    ordered = sorted(messages, key=lambda m: m[1])
    start = next((at for kind, at in ordered if kind == "customer"), created_at)
    if start is None:
        return None
    reply = next((at for kind, at in ordered if kind == "agent" and at >= start), None)
    return None if reply is None else (reply - start).total_seconds()


def resolution_seconds(created_at: datetime, resolved_at: datetime | None) -> float | None:
    if resolved_at is None:
        return None
    return max(0.0, (resolved_at - created_at).total_seconds())


@dataclass(frozen=True)
class Contact:
    key: str
    customer: str
    category: str
    created_at: datetime
    resolved_at: datetime | None
    reopen_count: int = 0


def first_contact_resolution(
    contacts: Sequence[Contact], window_days: int = 7, later_contacts: Sequence[Contact] = ()
) -> Estimate:
    """Resolved without reopen and without a new contact (same customer and category) within
    `window_days` of resolution, over resolved conversations. Wilson interval, in %.

    later_contacts: conversations after the period, consulted only as possible repeat contacts.
    """
    by_key: dict[tuple[str, str], list[Contact]] = {}
    for contact in [*contacts, *later_contacts]:
        by_key.setdefault((contact.customer, contact.category), []).append(contact)
    counted = {id(c) for c in contacts}
    window = timedelta(days=window_days)
    resolved = 0
    first_time = 0
    for group in by_key.values():
        starts = sorted(c.created_at for c in group)
        for contact in group:
            if contact.resolved_at is None or id(contact) not in counted:
                continue
            resolved += 1
            if _resolved_first_time(contact, starts, window):
                first_time += 1
    return wilson(first_time, resolved).scaled(100)


def _resolved_first_time(contact: Contact, starts: Sequence[datetime], window: timedelta) -> bool:
    """Resolved, never reopened, and no contact of its group (same customer and category)
    started after it and within `window` of its resolution."""
    if contact.resolved_at is None or contact.reopen_count:
        return False
    repeat_until = contact.resolved_at + window
    return not any(contact.created_at < s <= repeat_until for s in starts)


def business_seconds(
    start: datetime, end: datetime, schedule: Mapping[int, tuple[time, time]]
) -> float:
    """Seconds between start and end that fall inside opening hours.

    schedule maps weekday (Monday = 0) to (opens, closes) in the timestamps' own time zone;
    days absent from the schedule are closed.
    """
    if end <= start:
        return 0.0
    total = 0.0
    day = start.date()
    while day <= end.date():
        hours = schedule.get(day.weekday())
        if hours is not None:
            opens = datetime.combine(day, hours[0], tzinfo=start.tzinfo)
            closes = datetime.combine(day, hours[1], tzinfo=start.tzinfo)
            overlap = (min(end, closes) - max(start, opens)).total_seconds()
            total += max(0.0, overlap)
        day += timedelta(days=1)
    return total
