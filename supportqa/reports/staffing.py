"""How many people we need next week: the hourly contact forecast, Erlang C per hour, and the
agents who actually worked each hour of the week lately. Queries here; formulas in the core
(`core.forecast`, `core.erlang`).

SupportQA keeps no rota, so "worked" is the number of different agents who sent a message in
that hour, averaged over the last four weeks: a lower bound on who was scheduled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from supportqa.conversations.models import Conversation, Message
from supportqa.core import erlang, forecast
from supportqa.reports import memo
from supportqa.reports.rollups import UtcHour, hour_start

RECENT_WEEKS = 4  # weeks of messages that say who worked each hour
# An hour expecting less than half a contact is planned unstaffed: the contact is more likely
# not to come than to come, and Erlang C would otherwise put an agent on every night hour.
QUIET = 0.5


@dataclass(frozen=True)
class Assumptions:
    handling_seconds: float
    target_level: float  # 0–1
    target_seconds: float
    max_occupancy: float  # 0–1
    shrinkage: float  # 0–1
    history_weeks: int


@dataclass(frozen=True)
class Slot:
    hour: forecast.Hour
    staffing: erlang.Staffing
    worked: float | None  # agents who sent messages in this hour of the week, on average

    @property
    def verdict(self) -> str:
        """ "under" when fewer worked than the forecast needs, "over" when clearly more."""
        if self.worked is None or (self.staffing.agents == 0 and self.worked == 0):
            return ""
        if self.worked < self.staffing.agents:
            return "under"
        if self.worked > max(self.staffing.agents * 1.25, self.staffing.agents + 1):
            return "over"
        return "ok"


@dataclass(frozen=True)
class Plan:
    week: datetime  # the Monday the plan is for
    days: list[list[Slot]]  # 7 days × 24 hours
    check: forecast.Backtest  # the model on the last full week, before it is used
    history_weeks: int  # full weeks fitted (fewer than asked when the data start later)

    @property
    def contacts(self) -> float:
        return sum(slot.hour.mean for day in self.days for slot in day)

    @property
    def coverage_note(self) -> str:
        share = round(100 * self.check.coverage)
        return (
            f"daily MAPE, fitted without that week; {share}% of its hours inside the 95% interval"
        )

    @property
    def agent_hours(self) -> int:
        return sum(slot.staffing.scheduled for day in self.days for slot in day)


def this_monday(now: datetime) -> datetime:
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=local.weekday())


def plan(conversations: QuerySet[Conversation], assumptions: Assumptions) -> Plan:
    """Next week's hours (Monday to Sunday), from the full weeks before this one."""
    monday = this_monday(timezone.now())
    start = monday - timedelta(weeks=assumptions.history_weeks)
    counts = _hourly(conversations, start, monday)
    if sum(counts[-2 * forecast.WEEK :]) == 0:
        raise ValueError("no conversations in the last two full weeks to forecast from")
    # Weeks before the first conversation are not quiet weeks: the data had not started, and
    # counting them would read as growth.
    empty = next(i for i, count in enumerate(counts) if count) // forecast.WEEK
    counts, start = counts[empty * forecast.WEEK :], start + timedelta(weeks=empty)
    hours, backtest = memo.remembered(
        "forecast",
        (counts, start),
        lambda: (
            forecast.forecast(counts, start, horizon=2 * forecast.WEEK)[forecast.WEEK :],
            forecast.backtest(counts, start),
        ),
    )
    worked = _worked(conversations, monday)
    slots = [
        Slot(
            hour,
            erlang.required_agents(
                hour.mean if hour.mean >= QUIET else 0.0,
                handling_seconds=assumptions.handling_seconds,
                interval_seconds=3600,
                target_level=assumptions.target_level,
                target_seconds=assumptions.target_seconds,
                max_occupancy=assumptions.max_occupancy,
                shrinkage=assumptions.shrinkage,
            ),
            worked.get(_hour_of_week(hour.at)),
        )
        for hour in hours
    ]
    return Plan(
        monday + timedelta(weeks=1),
        [slots[d * 24 : (d + 1) * 24] for d in range(7)],
        backtest,
        len(counts) // forecast.WEEK,
    )


def _hour_of_week(moment: datetime) -> int:
    local = timezone.localtime(moment)
    return local.weekday() * 24 + local.hour


def _hourly(conversations: QuerySet[Conversation], start: datetime, end: datetime) -> list[int]:
    """New conversations per hour from `start` to `end`, counted in the database by UTC hour
    (a native expression: Django's TruncHour calls Python per row on SQLite). An hour of the
    week is the local hour its UTC hour starts in: exact wherever the offset from UTC is whole
    hours, half an hour early or late where it is not."""
    rows = (
        conversations.filter(created_at__gte=start, created_at__lt=end)
        .values_list(UtcHour("created_at"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = [0] * int((end - start).total_seconds() // 3600)
    for bucket, n in rows:
        index = int((hour_start(bucket) - start).total_seconds() // 3600)
        if 0 <= index < len(counts):
            counts[index] += n
    return counts


def _worked(conversations: QuerySet[Conversation], monday: datetime) -> dict[int, float]:
    """Hour of the week → the mean number of different agents who sent a message in it over
    the last RECENT_WEEKS full weeks. Messages are reached through the conversations created
    since a week before (the creation index), not by reading every message."""
    since = monday - timedelta(weeks=RECENT_WEEKS)
    recent = conversations.filter(created_at__gte=since - timedelta(weeks=1), created_at__lt=monday)
    rows: Any = (
        Message.objects.filter(
            conversation__in=recent,
            author_kind="agent",
            sent_at__gte=since,
            sent_at__lt=monday,
        )
        .values_list(UtcHour("sent_at"))
        .annotate(agents=Count("author", distinct=True))
        .order_by()
    )
    totals: dict[int, int] = defaultdict(int)
    for bucket, agents in rows:
        totals[_hour_of_week(hour_start(bucket))] += agents
    return {h: totals.get(h, 0) / RECENT_WEEKS for h in range(forecast.WEEK)}
