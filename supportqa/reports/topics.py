"""What customers are asking now: topics in the opening customer message of the conversations
in scope over recent full weeks, which of them are emerging, and which look like gaps in the
knowledge base. Queries here; the methods in `supportqa.core.topics`.

The opening messages of about SAMPLE conversations are read at most: when the window holds
more (counted from the daily rollups), those of a few sample slots
(`conversations.models.SampleSlot`: a random sample in effect), found by their own index, so
the page costs about the same at a million conversations. (That index holds the columns read
here but not the agent, team or channel: for a lead, or a team or channel chosen, each of the
slots' conversations is also looked up in the table.) Shares and the growth test are then
those of the sample, which is what a sample is for. The fitted model is remembered for the
same texts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from supportqa.conversations.models import SAMPLE_SLOTS, Conversation, Message, SampleSlot
from supportqa.core import topics
from supportqa.core.intervals import Estimate, wilson
from supportqa.reports import memo, rollups
from supportqa.reports.periods import Period, week_start

SAMPLE = 5000
MINIMUM_TEXTS = 40


@dataclass(frozen=True)
class TopicRow:
    topic: topics.Topic
    weekly: list[int]
    growth: topics.Growth | None
    resolved: Estimate  # share of its conversations resolved
    reopened: Estimate  # of the resolved, share reopened
    examples: list[tuple[str, str]]  # (conversation code, opening message)
    resolved_low: bool = False  # its resolved share's interval lies below the overall share
    reopened_high: bool = False  # its reopened share's interval lies above the overall share

    @property
    def gap(self) -> bool:
        """A knowledge-base gap candidate: resolved clearly less often, or reopened clearly
        more often, than conversations overall."""
        return self.resolved_low or self.reopened_high


@dataclass(frozen=True)
class TopicReport:
    weeks: list[datetime]
    rows: list[TopicRow]
    texts: int
    sampled: bool
    resolved: Estimate
    reopened: Estimate


_Row = tuple[int, datetime, int | None, int]  # pk, created, resolution seconds, reopens


def topic_report(
    conversations: QuerySet[Conversation], scope: Q, end: datetime, weeks: int, k: int | None
) -> TopicReport:
    """Topics of the `weeks` full weeks before `end` (a Monday) in `conversations`, which
    `scope` (a condition on agent, team and channel) admits: the rollups count them."""
    start = end - timedelta(weeks=weeks)
    period = Period(start, end)
    rollups.current(period, kinds=("conversation",))
    volume = rollups.total(
        rollups.grouped(rollups.CONVERSATIONS, scope, period, ("day",)).values()
    )["volume"]
    window = conversations.filter(created_at__gte=start, created_at__lt=end)
    rows, texts, sampled = _sample(window, volume)
    documents = [texts[pk] for pk, *_ in rows]
    found = memo.remembered("topics", (documents, k), lambda: topics.discover(documents, k))
    mondays = [start + timedelta(weeks=i) for i in range(weeks)]
    weekly, totals, outcomes = _by_week(rows, found.assignment, mondays)
    growth = {g.topic: g for g in topics.growth(weekly, totals)}
    overall = _resolved_and_reopened([o for per_topic in outcomes.values() for o in per_topic])
    shown = {rows[i][0] for topic in found.topics for i in topic.examples}
    codes = dict(Conversation.objects.filter(pk__in=shown).values_list("pk", "code"))
    report_rows = [
        _topic_row(
            topic,
            weekly[topic.number],
            growth.get(topic.number),
            outcomes[topic.number],
            overall,
            [(codes[rows[i][0]], texts[rows[i][0]]) for i in topic.examples],
        )
        for topic in found.topics
    ]
    return TopicReport(mondays, report_rows, len(rows), sampled, *overall)


def _topic_row(
    topic: topics.Topic,
    weekly: list[int],
    growth: topics.Growth | None,
    outcomes: list[tuple[bool, bool]],
    overall: tuple[Estimate, Estimate],
    examples: list[tuple[str, str]],
) -> TopicRow:
    """A topic with its resolved and reopened shares, each judged against the overall one."""
    resolved, reopened = _resolved_and_reopened(outcomes)
    return TopicRow(
        topic,
        weekly,
        growth,
        resolved,
        reopened,
        examples,
        resolved_low=_below(resolved, overall[0]),
        reopened_high=_above(reopened, overall[1]),
    )


def sampling(volume: int) -> tuple[int, int]:
    """(slots, step) for a window of `volume` conversations: the first `slots` sample slots
    hold about SAMPLE of them (all SAMPLE_SLOTS: no sample); past SAMPLE_SLOTS × 2 × SAMPLE
    conversations the one slot holds more, and every `step`-th of its ids is kept."""
    slots = min(SAMPLE_SLOTS, math.ceil(SAMPLE_SLOTS * SAMPLE / volume)) if volume else SAMPLE_SLOTS
    per_slot = volume / SAMPLE_SLOTS
    step = math.ceil(per_slot / SAMPLE) if slots == 1 and per_slot > 2 * SAMPLE else 1
    return slots, step


def _sample(window: QuerySet[Conversation], volume: int) -> tuple[list[_Row], dict[int, str], bool]:
    """The window's conversations (`volume` of them) with an opening customer message: when
    there are more than SAMPLE, those of the first sample slots that hold about SAMPLE (read
    by the slot's index, so a window of a million conversations is never read whole); their
    messages, read in the same statement; and whether they were sampled."""
    slots, step = sampling(volume)
    sampled = slots < SAMPLE_SLOTS
    if sampled:
        # Each slot by equality: both databases then seek (slot, created_at) once per slot.
        window = window.alias(slot=SampleSlot("id")).filter(slot__in=range(slots))
    if step > 1:
        # Slot 0 holds the ids that are multiples of SAMPLE_SLOTS (the multiplier is odd).
        window = window.alias(turn=F("pk") % (SAMPLE_SLOTS * step)).filter(turn=0)
    first = Message.objects.filter(conversation=OuterRef("pk"), author_kind="customer")
    found = window.order_by().annotate(opening=Subquery(first.order_by("seq").values("text")[:1]))
    # Newest first, as conversations are listed (the topics found depend on the order), sorted
    # here: ordered in the database, a small table is read by its creation index instead.
    read = sorted(
        found.values_list("pk", "created_at", "resolution_seconds", "reopen_count", "opening"),
        key=lambda row: (row[1], row[0]),
        reverse=True,
    )
    texts = {row[0]: row[4] for row in read if row[4]}
    rows: list[_Row] = [row[:4] for row in read if row[4]]
    if len(rows) < MINIMUM_TEXTS:
        raise ValueError(
            f"topics need at least {MINIMUM_TEXTS} conversations with a customer message in "
            f"the window; there are {len(rows)}"
        )
    return rows, texts, sampled


def _by_week(
    rows: list[_Row], assignment: list[int], mondays: list[datetime]
) -> tuple[dict[int, list[int]], list[int], dict[int, list[tuple[bool, bool]]]]:
    """Per topic its conversations per week, all conversations per week, and per topic each
    conversation's (resolved, reopened)."""
    index = {monday.date(): i for i, monday in enumerate(mondays)}
    weekly: dict[int, list[int]] = defaultdict(lambda: [0] * len(mondays))
    totals = [0] * len(mondays)
    outcomes: dict[int, list[tuple[bool, bool]]] = defaultdict(list)
    for (_, created, resolution, reopens), topic in zip(rows, assignment, strict=True):
        week = index.get(week_start(created))
        if week is None:  # at a week boundary in another time zone: not in the window
            continue
        weekly[topic][week] += 1
        totals[week] += 1
        outcomes[topic].append((resolution is not None, resolution is not None and reopens > 0))
    return dict(weekly), totals, outcomes


def _resolved_and_reopened(outcomes: list[tuple[bool, bool]]) -> tuple[Estimate, Estimate]:
    """The share resolved, and of the resolved the share reopened."""
    return _share([r for r, _ in outcomes]), _share([again for r, again in outcomes if r])


def _share(flags: list[bool]) -> Estimate:
    return wilson(sum(flags), len(flags)).scaled(100)


def _below(estimate: Estimate, overall: Estimate) -> bool:
    return estimate.high is not None and overall.value is not None and estimate.high < overall.value


def _above(estimate: Estimate, overall: Estimate) -> bool:
    return estimate.low is not None and overall.value is not None and estimate.low > overall.value
