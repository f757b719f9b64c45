"""The AutoQA page's figures: AQS by criterion and agent, detector hit rates, agreement with
human reviewers, and the queue of conversations AutoQA is unsure about."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.lookups import Exact

from supportqa.accounts.models import User
from supportqa.autoqa.actions import UNSURE_BELOW
from supportqa.autoqa.models import Flag, Job, detector_label
from supportqa.autoqa.rollups import AUTOQA, AUTOQA_CRITERIA, AUTOQA_DETECTORS
from supportqa.conversations.models import SHOP_SOURCE, Conversation
from supportqa.core.agreement import Agreement, ordinal_kappa
from supportqa.core.intervals import Estimate, mean_interval, wilson
from supportqa.lookups import Unindexed
from supportqa.reports import rollups
from supportqa.reports.periods import Period
from supportqa.reviews.models import Rating, Review, Source, scored_condition
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


@dataclass(frozen=True)
class RatingPairs:
    """(conversation, criterion key, AutoQA's option value, a human's) for every criterion
    both rated, matched by key (stable across versions); with several human reviews, each pair
    counts. And the criterion names. Read once per page: agreement and the unsure check share
    them."""

    pairs: list[tuple[int, str, float, float]]
    names: dict[str, str]
    # Conversations people reviewed in the period; None when only a bound was counted.
    reviewed: int | None = 0
    every: int = 1  # the pairs are those of the conversations whose id is a multiple of it


# Agreement is measured on at most about this many conversations people reviewed: every k-th
# by id when there are more (ids say nothing of quality, so in effect a random sample; the
# intervals are those of the sample). Reading every pair grows with the human reviews.
PAIR_SAMPLE = 2000


def rating_pairs(
    scoped: QuerySet[Review], human: QuerySet[Review], since: datetime | None = None
) -> RatingPairs:
    """`scoped`: the reviews the person may read; `human`: the people's reviews of the
    period among them. Only AutoQA's ratings of conversations people reviewed are read (a
    few per cent of them, at most about PAIR_SAMPLE conversations). The sampled people's
    reviews are read as (review, conversation); each side's ratings are then read by the
    sampled ids, and paired here. AutoQA's side is found by its conversations alone: its
    source and status are written so that no index serves them on SQLite, whose sampled
    statistics made "AutoQA's scored reviews" look selective (a read of all of them, 300 ms
    at 1M, instead of 70).

    The sample's step: with `since`, the start of the period of the conversations' creation,
    from the conversations of the people's reviews submitted since then, counted on the
    reviews' own index. A review comes after its conversation, so they are at least as many
    as the conversations reviewed in the period, and only the sampled reviews are joined to
    their conversations (at 1M, the 19,600 reviews of 90 days joined to theirs took 26 ms
    of the page's 176). The bound also counts the reviews of later conversations (a period
    in the past, a backlog of older ones): when the sample then holds fewer than half of
    PAIR_SAMPLE conversations, the step was too long, and the period's reviews are read and
    counted as without `since`: every review is read, the conversations counted, the step
    set from that count."""
    count: int | None = None
    conversation_of: dict[int, int] = {}
    every = 1
    if since is not None:
        since_then = scoped.counting_toward_iqs().filter(submitted_at__gte=since)
        bound = since_then.values("conversation_id").distinct().order_by().count()
        every = max(1, math.ceil(bound / PAIR_SAMPLE))
        chosen = human.order_by()
        if every > 1:
            chosen = chosen.alias(step=F("conversation_id") % every).filter(step=0)
        conversation_of = dict(chosen.values_list("pk", "conversation_id"))
    if since is None or (every > 1 and len(set(conversation_of.values())) < PAIR_SAMPLE // 2):
        reviewed = list(human.order_by().values_list("pk", "conversation_id"))
        count = len({conversation for _, conversation in reviewed})
        every = max(1, math.ceil(count / PAIR_SAMPLE))
        conversation_of = {pk: c for pk, c in reviewed if c % every == 0}  # the sampled ones
    sampled = sorted(set(conversation_of.values()))
    theirs = automatic_of(scoped, sampled).values("pk")
    machine: dict[tuple[int, str], float] = {}
    names: dict[str, str] = {}
    for conversation, key, name, value in _ratings(theirs).values_list(
        "review__conversation_id", "criterion__key", "criterion__name", "option__value"
    ):
        machine[conversation, key] = value
        names[key] = name
    # The people's ratings by review id, their conversations known: no join to the reviews.
    pairs = [
        (conversation_of[review], key, machine[conversation_of[review], key], value)
        for review, key, value in _ratings(list(conversation_of)).values_list(
            "review_id", "criterion__key", "option__value"
        )
        if (conversation_of[review], key) in machine
    ]
    return RatingPairs(pairs, names, count, every)


def automatic_of(scoped: QuerySet[Review], conversations: list[int]) -> QuerySet[Review]:
    """AutoQA's scored reviews of these conversations among `scoped`, found by their
    conversations alone (their source and status as conditions no index serves on
    SQLite)."""
    return scoped.filter(
        Exact(Unindexed("source"), Source.AUTOQA),
        scored_condition(indexed=False),
        conversation_id__in=conversations,
    )


def _ratings(reviews: Any) -> QuerySet[Rating]:
    """These reviews' ratings that are not N/A (review ids, or a query of them)."""
    return Rating.objects.filter(review__in=reviews, is_na=False)


def agreement(found: RatingPairs) -> list[CriterionAgreement]:
    """Per criterion, AutoQA's rating against the human's on the same conversations."""
    counted: dict[str, Counter[tuple[float, float]]] = defaultdict(Counter)
    for _, key, ours, theirs in found.pairs:
        counted[key][ours, theirs] += 1
    names = found.names
    return [
        _criterion_agreement(key, names[key], by_key)
        for key, by_key in sorted(counted.items(), key=lambda kv: names[kv[0]])
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


def unsure_check(found: RatingPairs) -> UnsureCheck:
    agreed: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # [agreed, rated] criteria
    for conversation, _, ours, theirs in found.pairs:
        counts = agreed[conversation]
        counts[0] += ours == theirs
        counts[1] += 1
    confidence = dict(
        Job.objects.filter(conversation_id__in=list(agreed), confidence__isnull=False).values_list(
            "conversation_id", "confidence"
        )
    )
    shares: dict[bool, list[float]] = {True: [], False: []}
    for conversation, (same, rated) in agreed.items():
        if conversation in confidence:
            unsure = confidence[conversation] < UNSURE_BELOW
            shares[unsure].append(100.0 * same / rated)
    return UnsureCheck(mean_interval(shares[True]), mean_interval(shares[False]))


# A person's scope (`conversations.access.scope_of`: conditions on agent and team) as seen
# from AutoQA's jobs and people's flags, through their conversation.
THROUGH_CONVERSATION = {"agent": "conversation__agent", "team": "conversation__team"}


def unsure_queue(scope: Q, limit: int = 50) -> list[Job]:
    """Conversations in `scope` (`scope_of(user)`) a person should look at that no human
    has reviewed yet: those someone flagged AutoQA as wrong on, newest flag first, then those
    AutoQA scored with low confidence, least sure first. The scope is a condition on the
    jobs' conversations, not a list of them: for an org-wide person the jobs are read in
    order of confidence and the reading stops at `limit`."""
    reviewed = Review.objects.counting_toward_iqs().values("conversation_id")
    waiting = (
        Job.objects.filter(rollups.renamed(scope, THROUGH_CONVERSATION), status=Job.Status.DONE)
        .exclude(conversation__source=SHOP_SOURCE)
        .exclude(conversation_id__in=reviewed)
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
