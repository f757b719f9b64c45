"""Agent standings: every figure with n and interval, shrunk estimates for ordering, and
"above/below average" only where the interval allows it."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from supportqa.accounts.models import User
from supportqa.core import kpis
from supportqa.core.appraisal import Comparison, compare, shrink
from supportqa.core.intervals import Estimate
from supportqa.core.leniency import Offset, overlapping, reviewer_offsets
from supportqa.core.sampling import pooled_within_sd
from supportqa.reports import memo
from supportqa.reports.metrics import scored_reviews
from supportqa.reports.periods import Period
from supportqa.reviews.access import reviews_for


@dataclass
class Standing:
    agent: User
    iqs: Estimate
    adjusted: Estimate  # corrected for who reviewed (reviewer offsets), beside the raw IQS
    shrunk: float | None
    comparison: Comparison
    average: float | None


ReviewRow = tuple[int, int, int | None, float, float]  # agent, conversation, reviewer, score, π


def standings(user: User, agents: list[User], period: Period) -> list[Standing]:
    """The standings of these agents (of `agents_for(user)`), from the reviews `user` may
    read that count toward IQS and were submitted in the period (the agents page and the
    leads' home)."""
    rows = (
        scored_reviews(reviews_for(user), period)
        .filter(reviewee__in=[a.pk for a in agents])
        .values_list(
            "reviewee_id", "conversation_id", "reviewer_id", "final_score", "inclusion_probability"
        )
    )
    return appraisal_rows(agents, rows)


def appraisal_rows(agents: list[User], rows: Iterable[ReviewRow]) -> list[Standing]:
    """rows: the human reviews in scope. Offsets come from conversations reviewed twice."""
    scores, fair, probabilities = _per_agent(list(rows))
    estimates = {a.pk: kpis.iqs(scores[a.pk], probabilities[a.pk]) for a in agents}
    adjusted = {a.pk: kpis.iqs(fair[a.pk], probabilities[a.pk]) for a in agents}
    every = [s for values in scores.values() for s in values]
    average = math.fsum(every) / len(every) if every else None
    sd = pooled_within_sd(list(scores.values()))
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


_PerAgent = dict[int, list[float]]


def _per_agent(rows: list[ReviewRow]) -> tuple[_PerAgent, _PerAgent, _PerAgent]:
    """Each agent's scores, the scores corrected by their reviewer's offset, and the
    sampling probabilities."""
    offsets = offsets_of([(c, r, s) for _, c, r, s, _ in rows if r is not None])
    scores: _PerAgent = defaultdict(list)
    fair: _PerAgent = defaultdict(list)
    probabilities: _PerAgent = defaultdict(list)
    for agent_id, _, reviewer, score, probability in rows:
        scores[agent_id].append(score)
        offset = offsets.get(reviewer)
        fair[agent_id].append(score - (offset.value if offset else 0.0))
        probabilities[agent_id].append(probability)
    return scores, fair, probabilities


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
