"""What customers are asking now: topics in the opening customer message of the conversations
in scope over recent full weeks, which of them are emerging, and which look like gaps in the
knowledge base. Queries here; the methods in `supportqa.core.topics`.

At most about SAMPLE conversations are read (every k-th by id when the window holds more; ids
say nothing of a conversation's topic, so this is a random sample in effect), so the page
costs the same at a million conversations; shares and the growth test are then those of the
sample, which is what a sample is for. The fitted model is remembered for the same texts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, OuterRef, QuerySet, Subquery

from supportqa.conversations.models import Conversation, Message
from supportqa.core import topics
from supportqa.core.intervals import Estimate, wilson
from supportqa.reports import memo
from supportqa.reports.periods import week_start

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
    conversations: QuerySet[Conversation], end: datetime, weeks: int, k: int | None
) -> TopicReport:
    """Topics of the `weeks` full weeks before `end` (a Monday)."""
    start = end - timedelta(weeks=weeks)
    rows, texts, sampled = _sample(conversations.filter(created_at__gte=start, created_at__lt=end))
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


def _sample(window: QuerySet[Conversation]) -> tuple[list[_Row], dict[int, str], bool]:
    """The window's conversations with an opening customer message (a systematic sample of
    about SAMPLE of them by id when there are more: every k-th, chosen in the database, so a
    window of a million conversations is never read whole), their messages, and whether they
    were sampled."""
    count = window.count()
    sampled = count > SAMPLE
    if sampled:
        window = window.alias(every=F("pk") % math.ceil(count / SAMPLE)).filter(every=0)
    rows: list[_Row] = list(
        window.values_list("pk", "created_at", "resolution_seconds", "reopen_count")
    )
    texts = _opening_messages([pk for pk, *_ in rows])
    rows = [row for row in rows if texts.get(row[0])]
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


def _opening_messages(ids: list[int]) -> dict[int, str]:
    """Each conversation's first customer message."""
    first = Message.objects.filter(conversation=OuterRef("pk"), author_kind="customer").order_by(
        "seq"
    )
    return dict(
        Conversation.objects.filter(pk__in=ids)
        .annotate(opening=Subquery(first.values("text")[:1]))
        .values_list("pk", "opening")
    )


def _resolved_and_reopened(outcomes: list[tuple[bool, bool]]) -> tuple[Estimate, Estimate]:
    """The share resolved, and of the resolved the share reopened."""
    return _share([r for r, _ in outcomes]), _share([again for r, again in outcomes if r])


def _share(flags: list[bool]) -> Estimate:
    return wilson(sum(flags), len(flags)).scaled(100)


def _below(estimate: Estimate, overall: Estimate) -> bool:
    return estimate.high is not None and overall.value is not None and estimate.high < overall.value


def _above(estimate: Estimate, overall: Estimate) -> bool:
    return estimate.low is not None and overall.value is not None and estimate.low > overall.value
