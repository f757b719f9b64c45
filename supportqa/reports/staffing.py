"""How many people we need next week: the hourly contact forecast, Erlang C per hour, and the
agents who actually worked each hour of the week lately. Read from the hourly rollups
(`rollups.HOURLY`, `rollups.ACTIVITY`); formulas in the core (`core.forecast`, `core.erlang`).

SupportQA keeps no rota, so "worked" is the number of different agents who sent a message in
that hour (in a conversation in the scope), averaged over the last four weeks: a lower bound on
who was scheduled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from supportqa.core import erlang, forecast
from supportqa.reports import memo, rollups
from supportqa.reports.periods import Period

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

    @property
    def title(self) -> str:
        """The cell's hover text (written here: 168 cells through template filters took a
        third of the page's time)."""
        worked = "—" if self.worked is None else f"{self.worked:.1f}"
        return (
            f"{timezone.localtime(self.hour.at):%a %H:%M}: {self.hour.mean:.1f} contacts (95% "
            f"interval {self.hour.low}–{self.hour.high}); {self.staffing.agents} agents on "
            f"contacts, {self.staffing.scheduled} with shrinkage; worked lately {worked}"
        )


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


def plan(scope: Q, assumptions: Assumptions) -> Plan:
    """Next week's hours (Monday to Sunday) for the conversations in `scope` (conditions on
    agent, team and channel), from the full weeks before this one."""
    monday = this_monday(timezone.now())
    start = monday - timedelta(weeks=assumptions.history_weeks)
    counts = _hourly(scope, start, monday)
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
    worked = _worked(scope, monday)
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


def _hourly(scope: Q, start: datetime, end: datetime) -> list[int]:
    """New conversations per hour from `start` to `end`, from the rollup of UTC hours. An hour
    of the week is the local hour its UTC hour starts in: exact wherever the offset from UTC is
    whole hours, half an hour early or late where it is not."""
    period = Period(start, end)
    rollups.current(period, kinds=[rollups.HOURLY.kind])
    counts = [0] * int((end - start).total_seconds() // 3600)
    for (day, hour), sums in rollups.grouped(
        rollups.HOURLY, scope, period, ("day", "hour")
    ).items():
        index = int((_hour_at(day, hour) - start).total_seconds() // 3600)
        if 0 <= index < len(counts):
            counts[index] += sums["volume"]
    return counts


def _worked(scope: Q, monday: datetime) -> dict[int, float]:
    """Hour of the week → the mean number of different agents who sent a message in it (in a
    conversation in `scope`) over the last RECENT_WEEKS full weeks."""
    period = Period(monday - timedelta(weeks=RECENT_WEEKS), monday)
    rollups.current(period, kinds=[rollups.ACTIVITY.kind])
    by = ("day", "hour", "author_id")
    authors: dict[tuple[date, int], set[int]] = defaultdict(set)
    for (day, hour, author), sums in rollups.grouped(rollups.ACTIVITY, scope, period, by).items():
        if author is not None and sums["messages"]:
            authors[day, hour].add(author)
    totals: dict[int, int] = defaultdict(int)
    for (day, hour), who in authors.items():
        totals[_hour_of_week(_hour_at(day, hour))] += len(who)
    return {h: totals.get(h, 0) / RECENT_WEEKS for h in range(forecast.WEEK)}


def _hour_at(day: date | str, hour: int) -> datetime:
    """The start of a UTC hour of a rollup day (a date, or its ISO text on SQLite)."""
    day = day if isinstance(day, date) else date.fromisoformat(day)
    return datetime.combine(day, time(hour), UTC)
