"""What coaching measures, from the dashboards' own figures: the metrics a goal may be about
(the roster's KPIs, so peers compare, and each rubric criterion), an agent's value and their
peers' values in a period, and the preparation packet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.accounts.models import AGENT_ROLES, User
from supportqa.core import coaching as coaching_core
from supportqa.core.coaching import Metric, pattern
from supportqa.core.intervals import Estimate, clip, mean_interval
from supportqa.core.scoring import criterion_score
from supportqa.reports import metrics
from supportqa.reports.periods import Period
from supportqa.reviews.models import Rating, Review
from supportqa.scorecards.models import Criterion

# The KPIs a goal may be about: the figures the agents' roster has for everyone.
GOAL_KPIS = ("iqs", "pass_rate", "csat", "fcr", "reopen_rate")
CRITERION = "criterion:"


def goal_metrics() -> dict[str, Metric]:
    """Goal metric key → its name, scale and direction."""
    found = {
        key: Metric(key, metrics.KPIS[key].label,
                    higher_is_better=metrics.KPIS[key].higher_is_better)
        for key in GOAL_KPIS
    }  # fmt: skip
    for key, name in sorted(Criterion.latest_names().items(), key=lambda kv: kv[1]):
        found[CRITERION + key] = Metric(CRITERION + key, f"{name} (criterion score)")
    return found


def team_agents(agent: User) -> QuerySet[User]:
    """The agent's peers and the agent: the active agents of the agent's teams."""
    return User.objects.filter(
        role__in=AGENT_ROLES, is_active=True, memberships__team__memberships__user=agent
    ).distinct()


def values(agent: User, key: str, period: Period) -> dict[int, Estimate]:
    """The metric per agent of the agent's teams over the period (the agent included)."""
    people = list(team_agents(agent).values_list("pk", flat=True)) or [agent.pk]
    reviews = Review.objects.filter(reviewee_id__in=people)
    if key.startswith(CRITERION):
        return metrics.criterion_by_agent(reviews, period, key.removeprefix(CRITERION))
    rows = metrics.roster(Q(agent_id__in=people), reviews, period, by="agent")
    return {pk: getattr(row, key) for pk, row in rows.items() if pk is not None}


def baseline_and_peers(agent: User, key: str, period: Period) -> tuple[Estimate, list[float]]:
    """The agent's value with its interval, and the peers' values (those with enough data)."""
    found = values(agent, key, period)
    mine = found.get(agent.pk, Estimate(None, 0))
    peers = [
        e.value for pk, e in found.items()
        if pk != agent.pk and e.value is not None and e.n >= 3
    ]  # fmt: skip
    return mine, peers


@dataclass(frozen=True)
class CriterionRow:
    key: str
    name: str
    estimate: Estimate
    pattern: str  # "exceeded", "met", "below" or ""
    best: list[tuple[str, str, float]]  # (conversation code, subject, criterion score)
    worst: list[tuple[str, str, float]]


@dataclass(frozen=True)
class Packet:
    agent: User
    period: Period
    panel: metrics.Panel
    criteria: list[CriterionRow]
    reviews: int


def packet(agent: User, period: Period) -> Packet:
    """The preparation packet: KPIs with intervals, each criterion's mean with its pattern and
    the best and worst example conversations."""
    reviews = Review.objects.filter(reviewee=agent)
    panel = metrics.panel(Q(agent=agent), reviews, period)
    scored = metrics.scored_reviews(reviews, period)
    names = Criterion.latest_names()
    by_key: dict[str, list[tuple[str, str, float]]] = {}
    marks: dict[str, float] = {}
    for rating in (
        Rating.objects.filter(review__in=scored, is_na=False)
        .select_related("criterion", "review__conversation")
        .prefetch_related("criterion__options")
        .order_by("criterion__key", "-score")
    ):
        c = rating.review.conversation
        by_key.setdefault(rating.criterion.key, []).append(
            (c.code, c.subject or c.external_id, rating.score)
        )
        if rating.criterion.key not in marks:
            marks[rating.criterion.key] = _meets_mark(rating.criterion)
    rows = []
    for key, found in by_key.items():
        scores = [s for *_, s in found]
        estimate = mean_interval(scores)
        estimate = clip(estimate, 0, 100)  # a score's interval stays on its scale
        rows.append(CriterionRow(
            key, names.get(key, key), estimate, pattern(estimate, marks[key]),
            best=[f for f in found[:2] if f[2] > marks[key]],
            worst=[f for f in found[-2:][::-1] if f[2] < marks[key]],
        ))  # fmt: skip
    order = {"below": 0, "exceeded": 1, "met": 2, "": 3}
    rows.sort(key=lambda r: (order[r.pattern], r.estimate.value or 0))
    return Packet(agent, period, panel, rows, scored.count())


def _meets_mark(criterion: Criterion) -> float:
    """The criterion score of the option just below the top ("Meets Expectations")."""
    values_ = sorted({o.value for o in criterion.options.all()}, reverse=True)
    low, high = min(values_), max(values_)
    if len(values_) < 2 or high <= low:
        return 50.0
    return criterion_score(values_[1], low, high)


# How long before and after a session its effect is measured.
EFFECT_WINDOW = timedelta(days=28)


@dataclass(frozen=True)
class SessionEffect:
    metric: str
    effect: coaching_core.Effect
    complete: bool  # the after window has run its full length


def session_effects(
    session: Any, now: datetime | None = None, catalogue: dict[str, Metric] | None = None
) -> list[SessionEffect]:
    """For each metric coached in the session (its areas), the difference in differences:
    the agent's change from the window before the session to the window after, against
    the same change of their team's agents not coached on that metric around then."""
    from supportqa.coaching.models import Area

    now = now or timezone.now()
    start = session.starts_at
    if start >= now:
        return []
    before = Period(start - EFFECT_WINDOW, start)
    after = Period(start, min(start + EFFECT_WINDOW, now))
    catalogue = catalogue if catalogue is not None else goal_metrics()
    found = []
    for key in dict.fromkeys(a.metric for a in session.areas.all()):
        metric = catalogue.get(key)
        if metric is None:
            continue
        coached = set(
            Area.objects.filter(
                metric=key,
                session__starts_at__gte=start - EFFECT_WINDOW,
                session__starts_at__lt=start + EFFECT_WINDOW,
            ).values_list("session__agent_id", flat=True)
        )
        was, now_ = values(session.agent, key, before), values(session.agent, key, after)

        def usable(e: Estimate | None) -> float | None:
            return e.value if e is not None and e.value is not None and e.n >= 3 else None

        changes = [
            a - b
            for pk in set(was) & set(now_)
            if pk not in coached and pk != session.agent_id
            and (b := usable(was[pk])) is not None and (a := usable(now_[pk])) is not None
        ]  # fmt: skip
        found.append(SessionEffect(key, coaching_core.did_effect(
            usable(was.get(session.agent_id)), usable(now_.get(session.agent_id)), changes,
            higher_is_better=metric.higher_is_better,
        ), complete=start + EFFECT_WINDOW <= now))  # fmt: skip
    return found


@dataclass(frozen=True)
class PooledEffect:
    name: str  # the metric's label, or the coach's name
    sessions: int
    estimate: Estimate  # the mean effect with its interval (core.coaching.pooled)


# The dashboard pools the effects of the latest sessions (each costs a few indexed reads).
POOLED_SESSIONS = 20


def pooled_effects(sessions: Any) -> tuple[list[PooledEffect], list[PooledEffect]]:
    """The mean coaching effect per metric, and per coach and metric (effects on different
    metrics are not averaged together), over the latest held or signed sessions given
    (their after-window under way), with intervals."""
    catalogue = goal_metrics()
    by_metric: dict[str, list[coaching_core.Effect]] = {}
    by_coach: dict[str, list[coaching_core.Effect]] = {}
    latest = (
        sessions.filter(state__in=["held", "signed"], starts_at__lt=timezone.now())
        .select_related("agent", "coach")
        .prefetch_related("areas")
        .order_by("-starts_at")[:POOLED_SESSIONS]
    )
    for session in latest:
        for found in session_effects(session, catalogue=catalogue):
            if found.effect.estimate.has_interval:
                by_metric.setdefault(found.metric, []).append(found.effect)
                label = catalogue[found.metric].label if found.metric in catalogue else found.metric
                by_coach.setdefault(f"{session.coach.name}: {label}", []).append(found.effect)

    def pool(groups: dict[str, list[coaching_core.Effect]], name: Any) -> list[PooledEffect]:
        return sorted(
            (PooledEffect(name(key), len(effects), coaching_core.pooled(effects))
             for key, effects in groups.items()),
            key=lambda p: p.name,
        )  # fmt: skip

    return (
        pool(by_metric, lambda k: catalogue[k].label if k in catalogue else k),
        pool(by_coach, lambda k: k),
    )
