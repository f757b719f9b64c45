"""The AutoQA page's figures: AQS by criterion and agent, detector hit rates, agreement with
human reviewers, and the queue of conversations AutoQA is unsure about."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q

from supportqa.accounts.models import User
from supportqa.autoqa import rollups as autoqa_rollups
from supportqa.autoqa.actions import UNSURE_BELOW
from supportqa.autoqa.models import Flag, Job, detector_label
from supportqa.autoqa.rollups import AUTOQA, AUTOQA_CRITERIA, AUTOQA_DETECTORS
from supportqa.conversations.models import SHOP_SOURCE, Conversation
from supportqa.core.agreement import Agreement, ordinal_kappa
from supportqa.core.intervals import EMPTY, Estimate, mean_interval_from_sums, wilson
from supportqa.reports import rollups
from supportqa.reports.periods import Period
from supportqa.reviews.models import Review, counting_condition
from supportqa.scorecards.models import Criterion


@dataclass(frozen=True)
class CriterionAgreement:
    key: str
    name: str
    pairs: int
    exact: Estimate  # share of conversations where AutoQA chose the human's option, %
    kappa: Agreement | None  # Cohen's κ, quadratic weights (ordinal scales)
    below_precision: float | None  # of AutoQA's lowest ratings, the share humans agree with
    below_recall: float | None  # of the humans' lowest ratings, the share AutoQA found


@dataclass(frozen=True)
class Totals:
    """AutoQA's results over a period from its daily rollups: conversations scored, AQS by
    criterion and by agent, and each detector's hits, partial hits, misses and N/A."""

    count: int
    criteria: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    detectors: list[dict[str, Any]]


def totals(scope: Q, period: Period) -> Totals:
    """`scope`: whose results, as a condition on `agent` (the reviewee)."""
    rollups.current(period, kinds=("autoqa",))
    reviews = rollups.by_key(rollups.grouped(AUTOQA, scope, period, ("agent_id",)))
    ratings = rollups.by_key(rollups.grouped(AUTOQA_CRITERIA, scope, period, ("criterion_key",)))
    findings = rollups.by_key(rollups.grouped(AUTOQA_DETECTORS, scope, period, ("detector",)))
    names = Criterion.latest_names()
    people = User.objects.in_bulk(list(reviews))
    agents = [
        {
            "reviewee__code": people[pk].code,
            "reviewee__display_name": people[pk].display_name,
            "reviewee__username": people[pk].username,
            "mean": row["score_sum"] / row["reviews"],
            "n": row["reviews"],
        }
        for pk, row in reviews.items()
        if row["reviews"] and pk in people
    ]
    criteria = [
        {"criterion__key": key, "criterion__name": names.get(key, key),
         "mean": row["score_sum"] / row["ratings"], "n": row["ratings"]}
        for key, row in ratings.items()
        if row["ratings"]
    ]  # fmt: skip
    detectors = [
        {**row, "detector": name, "n": row["findings"], "label": detector_label(name),
         "applies": row["findings"] - row["na"]}
        for name, row in sorted(findings.items())
        if row["findings"]
    ]  # fmt: skip
    return Totals(
        sum(row["reviews"] for row in reviews.values()),
        sorted(criteria, key=lambda c: c["criterion__name"]),
        sorted(agents, key=lambda a: a["mean"]),
        detectors,
    )


def rating_pairs(since: datetime | None = None) -> list[tuple[int, int, str, float, float]]:
    """Every rating pair (`autoqa.rollups.rating_pairs`) as (conversation, reviewed agent,
    criterion key, AutoQA's option value, the person's), of the conversations created since
    `since` (all when None): `autoqa evaluate` labels each one. With several people's
    reviews of a conversation, each pair counts. (The AutoQA page reads their counts from
    the rollups.)"""
    pairs = autoqa_rollups.rating_pairs()
    if since is not None:
        pairs = pairs.filter(review__conversation__created_at__gte=since)
    return list(
        pairs.order_by().values_list(
            "review__conversation_id",
            "review__reviewee_id",
            "criterion__key",
            "ours",
            "option__value",
        )
    )


def agreement(scope: Q, period: Period) -> list[CriterionAgreement]:
    """Per criterion, AutoQA's ratings against people's of the conversations created in the
    period, every pair counted (AGREEMENT's rollups). `scope`: a condition on `agent` (the
    reviewed one). Criteria are named as in their latest version."""
    rollups.current(period, kinds=(autoqa_rollups.AGREEMENT_KIND,))
    read = rollups.grouped(
        autoqa_rollups.AGREEMENT, scope, period, ("criterion_key", "ours", "theirs")
    )
    counted: dict[str, Counter[tuple[float, float]]] = defaultdict(Counter)
    for (key, ours, theirs), row in read.items():
        if row["pairs"]:
            counted[key][ours, theirs] += row["pairs"]
    names = Criterion.latest_names()
    return [
        _criterion_agreement(key, names.get(key, key), by_key)
        for key, by_key in sorted(counted.items(), key=lambda kv: names.get(kv[0], kv[0]))
    ]


def _criterion_agreement(
    key: str, name: str, found: Counter[tuple[float, float]]
) -> CriterionAgreement:
    """Agreement on one criterion's (AutoQA, human) rating pairs, each distinct pair with
    how often it occurs; precision and recall are of AutoQA's lowest rating, the one that
    sends a conversation to a person."""
    values = sorted({v for pair in found for v in pair})
    n = sum(found.values())
    return CriterionAgreement(
        key,
        name,
        n,
        wilson(sum(c for (a, b), c in found.items() if a == b), n).scaled(100),
        ordinal_kappa(found, values),
        *_precision_recall(found, values[0]),
    )


def _precision_recall(
    found: Counter[tuple[float, float]], lowest: float
) -> tuple[float | None, float | None]:
    said_low = sum(c for (ours, _), c in found.items() if ours == lowest)
    truly_low = sum(c for (_, theirs), c in found.items() if theirs == lowest)
    both_low = found[lowest, lowest]
    return (
        both_low / said_low if said_low else None,
        both_low / truly_low if truly_low else None,
    )


@dataclass(frozen=True)
class UnsureCheck:
    """Whether AutoQA's confidence singles out its mistakes: on conversations people also
    reviewed, the mean share of criteria where AutoQA chose the human's option (%, t interval
    over conversations, since a conversation's criteria are not independent)."""

    unsure: Estimate
    sure: Estimate

    @property
    def separates(self) -> bool:
        unsure_top, sure_bottom = self.unsure.high, self.sure.low
        return unsure_top is not None and sure_bottom is not None and unsure_top < sure_bottom


def unsure_check(scope: Q, period: Period) -> UnsureCheck:
    """From UNSURE_CHECK's rollups (made current here; `agreement` shares their marks): per
    conversation created in the period that people reviewed and AutoQA scored, the share of
    its rating pairs that agree; their t interval, unsure conversations apart. `scope`: a
    condition on `agent` (the conversation's)."""
    rollups.current(period, kinds=(autoqa_rollups.AGREEMENT_KIND,))
    read = rollups.by_key(rollups.grouped(autoqa_rollups.UNSURE_CHECK, scope, period, ("unsure",)))

    def of(unsure: bool) -> Estimate:
        row = read.get(unsure)
        if row is None:
            return EMPTY
        return mean_interval_from_sums(row["conversations"], row["share_sum"], row["share_sq"])

    return UnsureCheck(of(True), of(False))


# A person's scope (`conversations.access.scope_of`: conditions on agent and team) as seen
# from AutoQA's jobs and people's flags, through their conversation.
THROUGH_CONVERSATION = {"agent": "conversation__agent", "team": "conversation__team"}


def unsure_queue(scope: Q, limit: int = 50) -> list[Job]:
    """Conversations in `scope` (`scope_of(user)`) a person should look at that no human
    has reviewed yet: those someone flagged AutoQA as wrong on, newest flag first, then those
    AutoQA scored with low confidence, least sure first. The scope is a condition on the
    jobs' conversations, not a list of them: for an org-wide person the jobs are read in
    order of confidence and the reading stops at `limit`."""
    # Per job, whether people reviewed its conversation (by the conversation's reviews): as
    # a list of every reviewed conversation, SQLite, whose statistics average the people's
    # few reviews with AutoQA's million, read the whole review table (280 ms at 1M).
    reviewed = Review.objects.filter(
        counting_condition(indexed=False), conversation_id=OuterRef("conversation_id")
    )
    waiting = (
        Job.objects.filter(rollups.renamed(scope, THROUGH_CONVERSATION), status=Job.Status.DONE)
        .exclude(conversation__source=SHOP_SOURCE)
        .exclude(Exists(reviewed))
        .select_related("conversation__agent")
    )
    # Flags are few (people make them): read from their side, not joined to every job.
    flags = {
        conversation: (n, last)
        for conversation, n, last in Flag.objects.values("conversation_id")
        .annotate(n=Count("pk"), last=Max("created_at"))
        .values_list("conversation_id", "n", "last")
    }
    flagged = list(waiting.filter(conversation_id__in=flags))
    for job in flagged:
        job.flags, job.last = flags[job.conversation_id]
    flagged = sorted(flagged, key=lambda job: job.last, reverse=True)[:limit]
    seen = [job.pk for job in flagged]
    unsure = (
        waiting.filter(confidence__lt=UNSURE_BELOW)
        .exclude(pk__in=seen)
        .order_by("confidence", "-conversation__created_at")[: limit - len(flagged)]
    )
    return flagged + list(unsure)


def flag_counts(scope: Q, period: Period) -> dict[str, int]:
    """People's flags on AutoQA's ratings of the conversations in `scope` (`scope_of(user)`)
    created in the period, per criterion key. The conversations are a correlated EXISTS, so
    the flags (a few per reviewer) lead: as a join, SQLite read the period's conversations and
    looked up each one's flags (200 ms at 1M conversations with no flag at all)."""
    conversations = Conversation.objects.filter(
        scope, created_at__gte=period.start, created_at__lt=period.end
    ).exclude(source=SHOP_SOURCE)
    return dict(
        Flag.objects.filter(Exists(conversations.filter(pk=OuterRef("conversation_id"))))
        .values_list("criterion_key")
        .annotate(n=Count("pk"))
        .order_by()
    )
