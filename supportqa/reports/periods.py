from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        """The last day it covers, in the person's time zone (`end` is exclusive)."""
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()

    @property
    def first_day(self) -> date:
        return timezone.localtime(self.start).date()

    def previous(self) -> Period:
        """The period of the same length just before it, for comparison."""
        return Period(self.start - (self.end - self.start), self.start)

    def weeks(self) -> list[tuple[date, datetime, datetime]]:
        """(Monday, window start, window end) for each week the period touches."""
        monday = datetime.combine(week_start(self.start), datetime.min.time(), self.start.tzinfo)
        out = []
        while monday < self.end:
            following = monday + timedelta(days=7)
            out.append((monday.date(), max(monday, self.start), min(following, self.end)))
            monday = following
        return out


def whole_days(first: date, last: date) -> Period:
    """From the start of `first` to the end of `last` in the installation's time zone (the
    same days for everyone who looks: reports, coaching windows)."""
    zone = timezone.get_default_timezone()
    return Period(
        datetime.combine(first, datetime.min.time(), zone),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), zone),
    )


def week_start(value: datetime) -> date:
    day = value.date()
    return day - timedelta(days=day.weekday())


PERIOD_CHOICES = {
    "7": "Last 7 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "365": "Last 12 months",
}
DEFAULT_DAYS = "90"


LONGEST_RANGE = timedelta(days=731)


def period_from(request: HttpRequest, default: str = DEFAULT_DAYS) -> tuple[Period, str]:
    """The reporting window from ?days=, or ?days=custom&from=…&to=… (whole days in the
    person's time zone, up to today, two years at most); anything else falls back to the
    default."""
    days = request.GET.get("days", default)
    if days == "custom":
        chosen = custom_period(request.GET.get("from", ""), request.GET.get("to", ""))
        if chosen is not None:
            return chosen, days
    if days not in PERIOD_CHOICES:
        days = default
    end = timezone.now()
    return Period(end - timedelta(days=int(days)), end), days


def custom_period(first: str, last: str) -> Period | None:
    """From the start of `first` to the end of `last` (ISO dates), or None if they are not
    dates, in the wrong order, in the future or more than two years apart."""
    try:
        start_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
        end_day = last_day + timedelta(days=1)
    except (ValueError, OverflowError):
        return None
    now = timezone.now()
    start = timezone.make_aware(datetime.combine(start_day, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(end_day, datetime.min.time()))
    if not start < end or start >= now or end - start > LONGEST_RANGE:
        return None
    return Period(start, min(end, now))
