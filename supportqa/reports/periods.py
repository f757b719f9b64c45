from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def weeks(self) -> list[tuple[date, datetime, datetime]]:
        """(Monday, window start, window end) for each week the period touches."""
        monday = datetime.combine(week_start(self.start), datetime.min.time(), self.start.tzinfo)
        out = []
        while monday < self.end:
            following = monday + timedelta(days=7)
            out.append((monday.date(), max(monday, self.start), min(following, self.end)))
            monday = following
        return out


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


def period_from(request: HttpRequest, default: str = DEFAULT_DAYS) -> tuple[Period, str]:
    """The reporting window from ?days= (an unknown value falls back to the default)."""
    days = request.GET.get("days", default)
    if days not in PERIOD_CHOICES:
        days = default
    end = timezone.now()
    return Period(end - timedelta(days=int(days)), end), days
